"""ministack, the local AWS emulator whose Cognito serves the managed-login endpoints, as a
session fixture (a plugin of tests/conftest.py).

It runs from its own virtual environment, ``.venv-ministack`` (made by ``make ministack``): it
pins botocore exactly, which clashes with moto's. Bound to 127.0.0.1 on a free port, with only
cognito-idp, and with ``IOT_MTLS_ENABLED=0``: without it ministack would also open port 8883 on
every interface. Its state and pid file go to a temporary directory of the session.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
MINISTACK = Path(os.environ.get("FASTCOGNITO_MINISTACK", ROOT / ".venv-ministack" / "bin" / "ministack"))
REGION = "eu-west-1"
START_TIMEOUT = 30.0

PASSWORD = "Correct-horse-1!"
TEMPORARY_PASSWORD = "Temporary-pass-1!"
APP = "http://127.0.0.1:8000"
REDIRECT_URI = f"{APP}/auth/callback/"
LOGOUT_URI = f"{APP}/signed-out/"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass(frozen=True)
class AppClient:
    client_id: str
    client_secret: str | None


@dataclasses.dataclass(frozen=True)
class CognitoApp:
    """One user pool on ministack: two app clients (with and without a secret) and users."""

    url: str
    pool_id: str
    confidential: AppClient
    public: AppClient
    username: str
    new_password_username: str

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/{self.pool_id}/.well-known/jwks.json"

    def api(self) -> Any:
        return cognito_api(self.url)


def cognito_api(url: str) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@dataclasses.dataclass(frozen=True)
class Ministack:
    url: str


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ministack exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/_ministack/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"ministack did not start in {START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def run_ministack(state: Path, *, auth: bool = False) -> Iterator[Ministack]:
    """ministack on a free port of 127.0.0.1, its state under ``state``. With ``auth``, it runs
    with ``AUTH=true``: it then checks request signatures (boto3's ``testing`` credentials are
    its root's) and refuses the refresh tokens of a disabled or signed-out user, as AWS does."""
    if not MINISTACK.exists():
        pytest.fail(f"{MINISTACK} is missing: `make test` creates it (`make ministack`)", pytrace=False)
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(state),
        "TMPDIR": str(state),
        "STATE_DIR": str(state / "state"),
        "BIND_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "SERVICES": "cognito-idp",
        "IOT_MTLS_ENABLED": "0",
        "PERSIST_STATE": "0",
        "LOG_LEVEL": "WARNING",
    }
    if auth:
        env.update(AUTH="true", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    log = state / "ministack.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as log_file:
        process = subprocess.Popen([str(MINISTACK)], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(url, process, log)
        yield Ministack(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def ministack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ministack]:
    with run_ministack(tmp_path_factory.mktemp("ministack")) as server:
        yield server


def create_app(url: str, *, suffix: str = "") -> CognitoApp:
    """A user pool with a confidential and a public code-grant client, a confirmed user and one
    who must set a new password."""
    api = cognito_api(url)
    pool_id = api.create_user_pool(PoolName=f"fastcognito{suffix}")["UserPool"]["Id"]
    common: dict[str, Any] = {
        "UserPoolId": pool_id,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": ["openid", "email"],
        "CallbackURLs": [REDIRECT_URI],
        "LogoutURLs": [LOGOUT_URI],
        "SupportedIdentityProviders": ["COGNITO"],
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    }
    confidential = api.create_user_pool_client(ClientName="web", GenerateSecret=True, **common)["UserPoolClient"]
    public = api.create_user_pool_client(ClientName="spa", GenerateSecret=False, **common)["UserPoolClient"]
    api.admin_create_user(
        UserPoolId=pool_id,
        Username="alice",
        TemporaryPassword=TEMPORARY_PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "alice@example.com"}],
    )
    api.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password=PASSWORD, Permanent=True)
    api.admin_create_user(
        UserPoolId=pool_id, Username="newbie", TemporaryPassword=TEMPORARY_PASSWORD, MessageAction="SUPPRESS"
    )
    return CognitoApp(
        url=url,
        pool_id=pool_id,
        confidential=AppClient(confidential["ClientId"], confidential["ClientSecret"]),
        public=AppClient(public["ClientId"], None),
        username="alice",
        new_password_username="newbie",
    )


@pytest.fixture(scope="session")
def cognito_app(ministack: Ministack) -> CognitoApp:
    return create_app(ministack.url)


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def submit_login_form(authorize_url: str, username: str, password: str) -> requests.Response:
    """What a person does on the managed login page: open it, fill the form, submit. Returns
    the answer to the submission (a redirect to the callback on success)."""
    import html

    page = requests.get(authorize_url, timeout=10, allow_redirects=False)
    page.raise_for_status()
    form = {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}
    form.update(username=username, password=password)
    base = authorize_url.split("/oauth2/", 1)[0]
    return requests.post(f"{base}/login", data=form, timeout=10, allow_redirects=False)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
