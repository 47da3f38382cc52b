#!/usr/bin/env python
"""``make signin-local``: a Cognito of your own on 127.0.0.1, for trying the sign-in views in your
project (docs/sign-in.md, "Run sign-in locally").

1. Starts ministack's Cognito (from .venv-ministack, made by ``make ministack``) on a free port of
   127.0.0.1, with only cognito-idp and ``IOT_MTLS_ENABLED=0``, so nothing listens elsewhere.
2. Creates a user pool, a public app client (code grant with ``openid``, password sign-in,
   callback and sign-out URLs on ``--app-url``) and a confirmed user with a fresh password.
3. Checks what it is about to print: the user signs in with ``InitiateAuth`` through
   ``fastcognito.oauth`` and the access token verifies with those settings.
4. Prints the ``FASTCOGNITO`` settings to paste into your project, and the user name and password.
5. Keeps running until Ctrl-C (or SIGTERM), and at most ``SIGNIN_LOCAL_MINUTES`` (default 60);
   ``--print-only`` stops right after printing. ministack is stopped on the way out, and its
   state (a temporary directory) is removed: the pool lives as long as this script.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
MINISTACK = Path(os.environ.get("FASTCOGNITO_MINISTACK", REPO / ".venv-ministack" / "bin" / "ministack"))
REGION = "eu-west-1"
READY_TIMEOUT = 30.0
MAX_MINUTES = 24 * 60
COOKIE_NAME = "fastcognito_access"

# boto3 talks to ministack only: it must never look for real credentials or go through a proxy.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }
)
for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_proxy, None)

import boto3  # noqa: E402
import requests  # noqa: E402

from fastcognito import CognitoVerifier  # noqa: E402
from fastcognito.oauth import CognitoOAuthClient  # noqa: E402


class Stop(SystemExit):
    """Raised from the signal handler, so the ``finally`` blocks stop ministack."""


def on_signal(signum: int, _frame: Any) -> None:
    raise Stop(0)


def say(text: str = "") -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def minutes_from_environment() -> float:
    raw = os.environ.get("SIGNIN_LOCAL_MINUTES", "60")
    try:
        minutes = float(raw)
    except ValueError:
        minutes = math.nan
    if not (0 < minutes <= MAX_MINUTES):
        raise SystemExit(
            f"SIGNIN_LOCAL_MINUTES must be a number of minutes in (0, {MAX_MINUTES}], not {raw!r}"
        )
    return minutes


@contextlib.contextmanager
def ministack(workdir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """ministack's Cognito on 127.0.0.1 only; state, pid file and log in ``workdir``."""
    if not MINISTACK.exists():
        raise SystemExit(f"{MINISTACK} is missing: `make signin-local` creates it (`make ministack`)")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "STATE_DIR": str(workdir / "state"),
        "BIND_HOST": HOST,
        "GATEWAY_PORT": str(port),
        "SERVICES": "cognito-idp",
        "IOT_MTLS_ENABLED": "0",
        "PERSIST_STATE": "0",
        "LOG_LEVEL": "WARNING",
    }
    log_path = workdir / "ministack.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(MINISTACK)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        with requests.Session() as http:
            http.trust_env = False
            while True:
                if process.poll() is not None:
                    tail = log_path.read_text()[-3000:]
                    raise SystemExit(f"ministack exited with {process.returncode}:\n{tail}")
                with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                    if http.get(f"{url}/_ministack/health", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise SystemExit(f"ministack was not ready within {READY_TIMEOUT:.0f} s")
                time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        say(f"Stopped ministack (pid {process.pid}).")


def create_pool(url: str, app_url: str, username: str, password: str) -> dict[str, str]:
    """A pool, a public app client for the code grant and password sign-in, and a confirmed user."""
    api = boto3.client("cognito-idp", endpoint_url=url, region_name=REGION)
    pool_id = api.create_user_pool(PoolName="fastcognito-signin-local")["UserPool"]["Id"]
    client = api.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="signin-local",
        GenerateSecret=False,
        AllowedOAuthFlows=["code"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[f"{app_url}/auth/callback/"],
        LogoutURLs=[f"{app_url}/"],
        SupportedIdentityProviders=["COGNITO"],
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    api.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword=new_password(),
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    api.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    return {"pool_id": pool_id, "client_id": client["ClientId"]}


def new_password() -> str:
    # Cognito's default policy: 8+ characters with a lower- and upper-case letter, a digit, a symbol.
    return f"Local-{secrets.token_hex(6)}-Pw1!"


def settings_for(url: str, pool: dict[str, str], app_url: str) -> dict[str, Any]:
    """FASTCOGNITO for this pool. ministack writes the real AWS issuer in ``iss`` (the default
    ``ISSUER``) and serves the keys itself, hence ``JWKS_URL``."""
    return {
        "USER_POOL_ID": pool["pool_id"],
        "CLIENT_ID": pool["client_id"],
        "JWKS_URL": f"{url}/{pool['pool_id']}/.well-known/jwks.json",
        "COOKIE_NAME": COOKIE_NAME,
        "HOSTED_UI": {
            "DOMAIN": url,
            "API_URL": url,
            "REDIRECT_URI": f"{app_url}/auth/callback/",
            "LOGOUT_URI": f"{app_url}/",
        },
    }


def check_settings(settings: dict[str, Any], username: str, password: str) -> str:
    """Sign in as the user with the printed settings alone; returns the verified user name."""
    hosted = settings["HOSTED_UI"]
    client = CognitoOAuthClient(
        domain=hosted["DOMAIN"],
        client_id=settings["CLIENT_ID"],
        redirect_uri=hosted["REDIRECT_URI"],
        api_url=hosted["API_URL"],
    )
    tokens = client.initiate_auth(username, password)
    verifier = CognitoVerifier(
        settings["USER_POOL_ID"],
        client_id=settings["CLIENT_ID"],
        token_use="access",
        jwks_url=settings["JWKS_URL"],
    )
    return str(verifier.verify(tokens.access_token).username)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--app-url", default="http://127.0.0.1:8000", help="your project's base URL")
    parser.add_argument("--username", default="alice")
    parser.add_argument("--print-only", action="store_true", help="stop right after printing the settings")
    args = parser.parse_args(argv)
    app_url = args.app_url.rstrip("/")
    minutes = minutes_from_environment()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)

    password = new_password()
    with tempfile.TemporaryDirectory(prefix="fastcognito-signin-local-") as workdir:
        with ministack(Path(workdir)) as (url, process):
            pool = create_pool(url, app_url, args.username, password)
            settings = settings_for(url, pool, app_url)
            signed_in = check_settings(settings, args.username, password)
            say(f"ministack's Cognito runs on {url} (pid {process.pid}); checked: {signed_in} signs in with")
            say("InitiateAuth and the access token verifies with the settings below.")
            say()
            say("# settings.py of your project (with DEBUG = True: on http://127.0.0.1 the sign-in cookies")
            say("# drop Secure only under DEBUG), and path('auth/', include('fastcognito.django.urls')):")
            say(f"FASTCOGNITO = {json.dumps(settings, indent=4)}")
            say()
            say(f"# Sign in at {app_url}/auth/login/ (or POST to {app_url}/auth/signin/) as:")
            say(f"user name: {args.username}")
            say(f"password:  {password}")
            say()
            if args.print_only:
                return 0
            say(f"Press Ctrl-C to stop; it stops by itself in {minutes:g} minutes.")
            deadline = time.monotonic() + minutes * 60
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    say(f"ministack exited with {process.returncode}:")
                    say((Path(workdir) / "ministack.log").read_text()[-3000:])
                    return 1
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            say(f"{minutes:g} minutes are up (SIGNIN_LOCAL_MINUTES).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
