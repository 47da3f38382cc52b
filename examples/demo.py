#!/usr/bin/env python
"""``make demo``: fastcognito end to end, on this machine only.

1. Starts moto's Cognito emulator on 127.0.0.1 and creates a user pool, an app client, the groups
   ``admins`` and ``editors`` and two users: alice (in both groups) and bob (in none).
2. Runs the example Django project (examples/project) under gunicorn on 127.0.0.1, configured
   through environment variables to trust that pool.
3. Walks through the main job over real HTTP and checks every answer: a Bearer header, a cookie
   with and without a CSRF token, an anonymous call, an expired and a tampered token, and each
   permission style (IsAuthenticated, HasGroup, HasScope, a composition, a plain Django view).
4. Times verification in-process on a real moto token: fastcognito (cache miss and hit), PyJWT
   and the bare RSA signature check from ``cryptography`` that bounds them all.
5. Signs in with no browser through Cognito's managed login, served by ministack on 127.0.0.1
   (from .venv-ministack): the project's login redirect, the emulator's login form, the callback,
   an API call with the HttpOnly cookie (200), a refresh, a logout, and the same call (401).

Everything it starts is stopped on the way out, on failure and on Ctrl-C or SIGTERM too.
Exit status 0 only when every step gave the expected result.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import logging
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "examples" / "project"
REGION = "eu-west-1"
PASSWORD = "Demo-Passw0rd!"
COOKIE_NAME = "access_token"  # FASTCOGNITO["COOKIE_NAME"] in examples/project/project/settings.py
READY_TIMEOUT = 30.0
REQUEST_TIMEOUT = 10.0

# moto and boto3 must never look for real credentials, and nothing may leave this machine.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }
)
for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_proxy, None)

import boto3  # noqa: E402
import jwt  # noqa: E402
import requests  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

import fastcognito  # noqa: E402
from fastcognito import CognitoVerifier  # noqa: E402


# --- output and checks ------------------------------------------------------------------------


def say(text: str = "") -> None:
    print(text, flush=True)


def heading(text: str) -> None:
    say()
    say(f"== {text} " + "=" * max(0, 74 - len(text)))


@dataclass
class Results:
    passed: int = 0
    failed: list[str] = field(default_factory=list)

    def check(self, label: str, ok: bool, got: str, expected: str, *details: str) -> bool:
        if ok:
            self.passed += 1
        else:
            self.failed.append(label)
        say(f"  {'PASS' if ok else 'FAIL'}  {label}: {got} (expected {expected})")
        for detail in details:
            say(f"          {detail}")
        return ok


# --- small helpers ----------------------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a token, for display and for building the negative cases only."""
    return json.loads(b64url_decode(token.split(".")[1]))  # type: ignore[no-any-return]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def short(value: Any, limit: int = 220) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Interrupted(SystemExit):
    """Raised from a signal handler so the ``finally`` blocks stop what the demo started."""


def on_signal(signum: int, _frame: Any) -> None:
    raise Interrupted(128 + signum)


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold stop signals while stopping servers, so a second Ctrl-C cannot orphan a process.

    A signal that arrives meanwhile is delivered when the block ends.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# --- moto's Cognito ---------------------------------------------------------------------------


@dataclass
class Pool:
    moto_url: str
    client: Any
    pool_id: str
    client_id: str

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        return f"{self.moto_url}/{self.pool_id}/.well-known/jwks.json"

    def add_user(self, username: str, groups: tuple[str, ...]) -> None:
        self.client.admin_create_user(
            UserPoolId=self.pool_id,
            Username=username,
            TemporaryPassword="Tmp-Passw0rd!1",
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
        )
        self.client.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        for group in groups:
            self.client.admin_add_user_to_group(UserPoolId=self.pool_id, Username=username, GroupName=group)

    def sign_in(self, username: str) -> str:
        """USER_PASSWORD_AUTH through the app client; returns the access token."""
        result = self.client.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
        return result["AuthenticationResult"]["AccessToken"]  # type: ignore[no-any-return]


def create_pool(moto_url: str) -> Pool:
    client = boto3.client("cognito-idp", endpoint_url=moto_url, region_name=REGION)
    pool_id = client.create_user_pool(PoolName="fastcognito-demo")["UserPool"]["Id"]
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="example-web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for group in ("admins", "editors"):
        client.create_group(UserPoolId=pool_id, GroupName=group)
    pool = Pool(moto_url, client, pool_id, client_id)
    pool.add_user("alice", ("admins", "editors"))
    pool.add_user("bob", ())
    return pool


MOTO_PRIVATE_KEY = "cognitoidp/resources/jwks-private.json.gz"


def moto_signing_key() -> tuple[str, rsa.RSAPrivateKey]:
    """moto's built-in test key, the one its Cognito signs every token with.

    moto cannot issue an already expired token, so the demo signs one itself with this key, read
    from the installed moto package. The JWK holds n, e and d only; the primes are recovered.
    """
    jwk = json.loads(gzip.decompress((resources.files("moto") / MOTO_PRIVATE_KEY).read_bytes()))
    n, e, d = (int.from_bytes(b64url_decode(jwk[name]), "big") for name in ("n", "e", "d"))
    p, q = rsa.rsa_recover_prime_factors(n, e, d)
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, n),
    )
    return jwk["kid"], numbers.private_key()


def sign(header: Mapping[str, Any], payload: Mapping[str, Any], key: rsa.RSAPrivateKey) -> str:
    signing_input = ".".join(
        b64url_encode(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload)
    )
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url_encode(signature)}"


# --- the example project under gunicorn -------------------------------------------------------


def project_env(pool: Pool, db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "FASTCOGNITO_"))}
    env.pop("PYTHONPATH", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "COGNITO_USER_POOL_ID": pool.pool_id,
            "COGNITO_CLIENT_ID": pool.client_id,
            "COGNITO_ISSUER": pool.issuer,
            "COGNITO_JWKS_URL": pool.jwks_url,
            "EXAMPLE_DB_PATH": str(db_path),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def migrate(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py migrate failed:\n{result.stdout}\n{result.stderr}")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log_path: Path, port: int | None = None) -> Iterator[str]:
    port = port or free_port()
    command = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{HOST}:{port}",
        "--workers", "1",
        "--threads", "2",
        "--graceful-timeout", "5",
        "--chdir", str(PROJECT),
        "project.wsgi:application",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://{HOST}:{port}"
    try:
        wait_until_ready(process, base_url, log_path)
        yield base_url
    finally:
        with signals_deferred():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            say(f"  stopped gunicorn (pid {process.pid}, exit status {process.returncode})")


def wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    with requests.Session() as http:
        http.trust_env = False
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {process.returncode}:\n{log_tail(log_path)}")
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                if http.get(f"{base_url}/healthz/", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn was not ready within {READY_TIMEOUT:.0f} s:\n{log_tail(log_path)}")


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- the walk-through -------------------------------------------------------------------------


@dataclass
class Client:
    """HTTP to the example project; never follows the environment's proxy settings."""

    base_url: str
    http: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.http.trust_env = False

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        cookies: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> requests.Response:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        return self.http.request(
            method,
            f"{self.base_url}{path}",
            headers=all_headers,
            cookies=dict(cookies or {}),
            json=body,
            timeout=REQUEST_TIMEOUT,
            allow_redirects=False,
        )


def body_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:200]


def field_of(response: requests.Response, name: str) -> Any:
    """One key of a JSON object body; None for anything else."""
    body = body_of(response)
    return body.get(name) if isinstance(body, dict) else None


def walk_through(results: Results, api: Client, pool: Pool, alice: str, bob: str) -> None:
    check = results.check
    alice_sub = unverified_claims(alice)["sub"]

    heading("1. A signed-in user calls the API")
    r = api.call("GET", "/api/me/", token=alice)
    queries = r.headers.get("X-DB-Queries")
    check(
        "alice, Authorization: Bearer <access token>, GET /api/me/ (IsAuthenticated)",
        r.status_code == 200 and field_of(r, "username") == "alice",
        str(r.status_code), "200",
        f"body: {short(body_of(r))}",
    )
    check(
        "SQL queries made to authenticate and serve /api/me/ (X-DB-Queries header)",
        queries == "0", str(queries), "0",
        "request.user is a CognitoUser built from the verified claims; no user table is read",
    )
    r = api.call("GET", "/whoami/", token=alice)
    check(
        "alice, Bearer header, GET /whoami/ (plain Django view behind CognitoMiddleware)",
        r.status_code == 200 and field_of(r, "authenticated") is True and field_of(r, "username") == "alice",
        str(r.status_code), "200 and authenticated alice",
        f"body: {short(body_of(r))}",
    )
    r = api.call("GET", "/whoami/")
    check(
        "anonymous GET /whoami/ (plain Django view, no token)",
        r.status_code == 200 and field_of(r, "authenticated") is False,
        f"{r.status_code}, authenticated={field_of(r, 'authenticated')}",
        "200, authenticated=False",
    )

    heading("2. The same user with a cookie, and CSRF on unsafe methods")
    r = api.call("GET", "/api/me/", cookies={COOKIE_NAME: alice})
    check(
        f"alice, cookie {COOKIE_NAME}=<access token>, GET /api/me/",
        r.status_code == 200 and field_of(r, "username") == "alice",
        str(r.status_code), "200",
    )
    r = api.call("GET", "/csrf/")
    csrf_cookie = r.cookies.get("csrftoken")
    csrf_token = field_of(r, "csrfToken")
    check(
        "GET /csrf/ hands out the CSRF cookie and token",
        r.status_code == 200 and bool(csrf_cookie) and bool(csrf_token),
        str(r.status_code), "200 with a csrftoken cookie",
    )
    article = {"title": "Hello from a cookie", "body": "Posted by alice from a browser session."}
    r = api.call(
        "POST", "/api/articles/", cookies={COOKIE_NAME: alice, "csrftoken": csrf_cookie or ""}, body=article
    )
    check(
        "alice, cookie, POST /api/articles/ WITHOUT the X-CSRFToken header",
        r.status_code == 403, str(r.status_code), "403",
        f"body: {short(body_of(r))}",
    )
    r = api.call(
        "POST", "/api/articles/",
        cookies={COOKIE_NAME: alice, "csrftoken": csrf_cookie or ""},
        headers={"X-CSRFToken": csrf_token or ""},
        body=article,
    )  # fmt: skip
    check(
        "alice, cookie, POST /api/articles/ WITH the X-CSRFToken header",
        r.status_code == 201 and field_of(r, "author_sub") == alice_sub,
        str(r.status_code), "201, author_sub = alice's sub",
        f"body: {short(body_of(r))}",
    )
    r = api.call("POST", "/api/articles/", token=bob, body={"title": "Hello from an API client", "body": ""})
    check(
        "bob, Bearer header, POST /api/articles/ (a header is not sent by browsers on their own: no CSRF)",
        r.status_code == 201, str(r.status_code), "201",
    )
    r = api.call("GET", "/api/articles/", token=bob)
    listing = body_of(r)
    check(
        "bob, Bearer header, GET /api/articles/",
        r.status_code == 200 and isinstance(listing, list) and len(listing) == 2,
        f"{r.status_code}, {len(listing) if isinstance(listing, list) else '?'} articles", "200, 2 articles",
        f"X-DB-Queries: {r.headers.get('X-DB-Queries')} (the article list itself)",
    )

    heading("3. Requests that must be refused")
    r = api.call("GET", "/api/articles/")
    challenge = r.headers.get("WWW-Authenticate", "")
    check(
        "anonymous GET /api/articles/",
        r.status_code == 401 and challenge.startswith("Bearer"),
        str(r.status_code), "401 with a Bearer challenge",
        f"WWW-Authenticate: {challenge}",
        f"body: {short(body_of(r))}",
    )

    kid, moto_key = moto_signing_key()
    now = int(time.time())
    expired_claims = dict(unverified_claims(alice), iat=now - 7200, auth_time=now - 7200, exp=now - 3600)
    expired_claims["jti"] = str(uuid.uuid4())
    expired = sign({"kid": kid, "alg": "RS256"}, expired_claims, moto_key)
    say(
        "  (the expired token is alice's token re-signed with exp one hour ago, using moto's own"
        f" signing key read from the installed moto package, moto/{MOTO_PRIVATE_KEY}:"
        " moto cannot issue an expired token on demand)"
    )
    r = api.call("GET", "/api/articles/", token=expired)
    check(
        "expired token (valid signature), GET /api/articles/",
        r.status_code == 401 and field_of(r, "code") == "expired",
        f"{r.status_code}, code={field_of(r, 'code')}",
        "401, code=expired",
        f"WWW-Authenticate: {r.headers.get('WWW-Authenticate', '')}",
        f"body: {short(body_of(r))}",
    )

    header_segment, _, signature = bob.split(".")
    forged_claims = dict(unverified_claims(bob), **{"cognito:groups": ["admins"]})
    tampered = f"{header_segment}.{b64url_encode(json.dumps(forged_claims).encode())}.{signature}"
    r = api.call("GET", "/api/admin/report/", token=tampered)
    check(
        "tampered token (bob's payload edited to add cognito:groups=[admins]), GET /api/admin/report/",
        r.status_code == 401 and field_of(r, "code") == "invalid_signature",
        f"{r.status_code}, code={field_of(r, 'code')}",
        "401, code=invalid_signature",
        f"WWW-Authenticate: {r.headers.get('WWW-Authenticate', '')}",
        f"body: {short(body_of(r))}",
    )

    heading("4. Permissions: HasGroup, HasScope and a composition")
    for user, token, membership, expected in (("alice", alice, "in", 200), ("bob", bob, "not in", 403)):
        r = api.call("GET", "/api/admin/report/", token=token)
        check(
            f"{user} ({membership} admins), GET /api/admin/report/ [HasGroup('admins')]",
            r.status_code == expected, str(r.status_code), str(expected),
            f"body: {short(body_of(r))}",
        )
    r = api.call("GET", "/api/account/", token=bob)
    check(
        "bob, GET /api/account/ [HasScope('aws.cognito.signin.user.admin')]",
        r.status_code == 200, str(r.status_code), "200",
        f"body: {short(body_of(r))}",
    )
    composed = "IsAuthenticated & (HasGroup('editors') | HasScope('articles/publish'))"
    for user, token, expected in (("alice", alice, 200), ("bob", bob, 403)):
        r = api.call("GET", "/api/editorial/", token=token)
        check(
            f"{user}, GET /api/editorial/ [{composed}]",
            r.status_code == expected, str(r.status_code), str(expected),
            f"body: {short(body_of(r))}",
        )


# --- timings ----------------------------------------------------------------------------------


def median_us(cases: list[tuple[Callable[[], object], int]], repeat: int = 7) -> list[float]:
    """Median time per call of each case, in microseconds.

    The rounds interleave the cases, so a burst of load elsewhere on the machine hits them all
    alike instead of skewing one row.
    """
    timers = [(timeit.Timer(function), number) for function, number in cases]
    for function, _ in cases:
        function()
    runs: list[list[float]] = [[] for _ in cases]
    for _ in range(repeat):
        for index, (timer, number) in enumerate(timers):
            runs[index].append(timer.timeit(number) / number * 1e6)
    return [statistics.median(times) for times in runs]


def timings(results: Results, pool: Pool, token: str) -> None:
    heading("5. Verification timings, in this process, on a real moto access token")
    options: dict[str, Any] = {
        "client_id": pool.client_id,
        "token_use": "access",
        "issuer": pool.issuer,
        "jwks_url": pool.jwks_url,
    }
    first = CognitoVerifier(pool.pool_id, cache_size=0, **options)
    started = time.perf_counter()
    claims = first.verify(token)
    first_ms = (time.perf_counter() - started) * 1e3
    results.check(
        "the moto token verifies in-process", claims.username == "alice", str(claims.username), "alice"
    )

    uncached = first  # keys now loaded; cache_size=0 makes every call a full verification
    cached = CognitoVerifier(pool.pool_id, **options)
    cached.verify(token)

    with requests.Session() as http:
        http.trust_env = False
        jwks = http.get(pool.jwks_url, timeout=REQUEST_TIMEOUT).json()
    kid = json.loads(b64url_decode(token.split(".")[0]))["kid"]
    (jwk,) = [key for key in jwks["keys"] if key["kid"] == kid]
    public_key = jwt.PyJWK(jwk).key
    signing_input, _, signature_segment = token.rpartition(".")
    signed_bytes = signing_input.encode("ascii")
    signature = b64url_decode(signature_segment)
    pkcs1v15, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def raw_rsa() -> None:
        public_key.verify(signature, signed_bytes, pkcs1v15, sha256)

    def pyjwt() -> None:
        decoded = jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            issuer=pool.issuer,
            options={"require": ["exp", "iat", "iss"]},
        )
        # PyJWT knows nothing of Cognito's access tokens: the app checks these two itself.
        if decoded["client_id"] != pool.client_id or decoded["token_use"] != "access":
            raise AssertionError("claims")

    labels = [
        "cryptography RSA verify alone (the floor)",
        "fastcognito verify, cold (cache miss)",
        "fastcognito verify, cached (cache hit)",
        f"PyJWT {jwt.__version__} jwt.decode, key preloaded",
    ]
    medians = median_us(
        [
            (raw_rsa, 500),
            (lambda: uncached.verify(token), 500),
            (lambda: cached.verify(token), 5000),
            (pyjwt, 500),
        ]
    )
    rows = list(zip(labels, medians))
    floor = rows[0][1]
    hot_path = "Cython extension" if fastcognito.EXTENSION_ACTIVE else "pure Python"
    say(f"  fastcognito {fastcognito.__version__}, hot path: {hot_path}; RS256, 2048-bit key")
    say("  each row: the median of 7 interleaved rounds of 500 calls (5000 for the cache hit)")
    say(f"  first call on a fresh verifier, including the JWKS fetch from moto: {first_ms:.1f} ms (once)")
    say()
    say(f"  {'TIMINGS':<48} {'median us/call':>14} {'x RSA verify':>13}")
    say(f"  {'-' * 48} {'-' * 14} {'-' * 13}")
    for label, value in rows:
        say(f"  {label:<48} {value:>14.2f} {value / floor:>12.2f}x")
    say(f"  cache info of the cached verifier: {cached.cache_info()}")


# --- sign-in through the managed login (ministack) ---------------------------------------------

MINISTACK = REPO / ".venv-ministack" / "bin" / "ministack"


@contextlib.contextmanager
def ministack(workdir: Path) -> Iterator[str]:
    """ministack's Cognito on 127.0.0.1 only: IOT_MTLS_ENABLED=0, or it opens port 8883 on every
    interface; state and pid file in the demo's temporary directory."""
    if not MINISTACK.exists():
        raise RuntimeError(f"{MINISTACK} is missing: run `make demo`, which creates it")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "STATE_DIR": str(workdir / "ministack-state"),
        "BIND_HOST": HOST,
        "GATEWAY_PORT": str(port),
        "SERVICES": "cognito-idp",
        "IOT_MTLS_ENABLED": "0",
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
                    raise RuntimeError(f"ministack exited with status {process.returncode}:\n{log_tail(log_path)}")
                with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                    if http.get(f"{url}/_ministack/health", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"ministack was not ready within {READY_TIMEOUT:.0f} s")
                time.sleep(0.1)
        yield url
    finally:
        with signals_deferred():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            say(f"  stopped ministack (pid {process.pid}, exit status {process.returncode})")


def create_hosted_pool(ministack_url: str, app_url: str) -> dict[str, str]:
    """A pool with a confidential code-grant app client whose callback is the project's."""
    client = boto3.client("cognito-idp", endpoint_url=ministack_url, region_name=REGION)
    pool_id = client.create_user_pool(PoolName="fastcognito-sign-in-demo")["UserPool"]["Id"]
    app_client = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="example-web",
        GenerateSecret=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[f"{app_url}/auth/callback/"],
        LogoutURLs=[f"{app_url}/signed-out/"],
        SupportedIdentityProviders=["COGNITO"],
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    client.admin_create_user(
        UserPoolId=pool_id, Username="alice", TemporaryPassword="Tmp-Passw0rd!1", MessageAction="SUPPRESS"
    )
    client.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password=PASSWORD, Permanent=True)
    return {"pool_id": pool_id, "client_id": app_client["ClientId"], "client_secret": app_client["ClientSecret"]}


def sign_in_env(base_env: dict[str, str], ministack_url: str, pool: dict[str, str], app_url: str) -> dict[str, str]:
    env = dict(base_env)
    env.update(
        {
            "COGNITO_USER_POOL_ID": pool["pool_id"],
            "COGNITO_CLIENT_ID": pool["client_id"],
            "COGNITO_CLIENT_SECRET": pool["client_secret"],
            "COGNITO_ISSUER": f"https://cognito-idp.{REGION}.amazonaws.com/{pool['pool_id']}",
            "COGNITO_JWKS_URL": f"{ministack_url}/{pool['pool_id']}/.well-known/jwks.json",
            "COGNITO_DOMAIN": ministack_url,
            "COGNITO_API_URL": ministack_url,
            "COGNITO_REDIRECT_URI": f"{app_url}/auth/callback/",
            "COGNITO_LOGOUT_URI": f"{app_url}/signed-out/",
            # Plain http on 127.0.0.1: DEBUG is what lets the cookies drop `Secure` there, and only there.
            "DJANGO_DEBUG": "1",
        }
    )
    return env


def cookie_flags(response: requests.Response, name: str) -> str:
    """The attributes of one Set-Cookie (never its value: it is a token)."""
    for header in response.raw.headers.getlist("Set-Cookie"):
        cookie_name, _, rest = header.partition("=")
        if cookie_name.strip() == name:
            attributes = [part.strip() for part in rest.split(";")[1:]]
            return "; ".join(a for a in attributes if not a.lower().startswith("expires"))
    return "(not set)"


def sign_in_walk_through(results: Results, base_url: str, ministack_url: str) -> None:
    import html
    import re
    from urllib.parse import parse_qs, urlsplit

    check = results.check
    browser = requests.Session()
    browser.trust_env = False

    heading("6. Sign-in through the managed login (ministack), with no browser")
    r = browser.get(f"{base_url}/", timeout=REQUEST_TIMEOUT)
    check("GET / (the example's login page)", r.status_code == 200 and "Sign in with Cognito" in r.text,
          str(r.status_code), "200 with a 'Sign in with Cognito' link")
    r = browser.get(f"{base_url}/auth/login/?next=/signed-in/", timeout=REQUEST_TIMEOUT, allow_redirects=False)
    authorize_url = r.headers.get("Location", "")
    query = parse_qs(urlsplit(authorize_url).query)
    check(
        "GET /auth/login/?next=/signed-in/ redirects to the managed login with PKCE, state and nonce",
        r.status_code == 302 and authorize_url.startswith(f"{ministack_url}/oauth2/authorize?")
        and query.get("code_challenge_method") == ["S256"] and "state" in query and "nonce" in query,
        f"{r.status_code} to {urlsplit(authorize_url).path}", "302 to /oauth2/authorize",
        f"state cookie: {cookie_flags(r, next(iter(r.cookies.keys()), ''))}",
    )
    r = browser.get(authorize_url, timeout=REQUEST_TIMEOUT)
    form = {name: html.unescape(value) for name, value in
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text)}
    check("GET the emulator's login form", r.status_code == 200 and "password" in r.text,
          str(r.status_code), "200 with a password form")
    form.update(username="alice", password=PASSWORD)
    r = browser.post(f"{ministack_url}/login", data=form, timeout=REQUEST_TIMEOUT, allow_redirects=False)
    callback_url = r.headers.get("Location", "")
    check("POST the form as alice", r.status_code == 302 and "/auth/callback/?code=" in callback_url,
          f"{r.status_code} to {urlsplit(callback_url).path}", "302 to /auth/callback/ with a code")
    r = browser.get(callback_url, timeout=REQUEST_TIMEOUT, allow_redirects=False)
    check(
        "GET /auth/callback/ (state checked, code exchanged with the verifier, tokens verified)",
        r.status_code == 302 and r.headers.get("Location") == "/signed-in/" and COOKIE_NAME in r.cookies,
        f"{r.status_code} to {r.headers.get('Location')}", "302 to /signed-in/ with the cookies",
        f"{COOKIE_NAME}: {cookie_flags(r, COOKIE_NAME)}",
        f"fastcognito_refresh: {cookie_flags(r, 'fastcognito_refresh')}",
    )
    r = browser.get(f"{base_url}/api/me/", timeout=REQUEST_TIMEOUT)
    check("GET /api/me/ with the HttpOnly cookie", r.status_code == 200 and field_of(r, "username") == "alice",
          str(r.status_code), "200 as alice")
    r = browser.get(f"{base_url}/signed-in/", timeout=REQUEST_TIMEOUT, allow_redirects=False)
    check("GET /signed-in/ (the example's signed-in page)", r.status_code == 200 and "alice" in r.text,
          str(r.status_code), "200 naming alice")
    csrf = field_of(browser.get(f"{base_url}/csrf/", timeout=REQUEST_TIMEOUT), "csrfToken") or ""
    r = browser.post(f"{base_url}/auth/refresh/", timeout=REQUEST_TIMEOUT)
    check("POST /auth/refresh/ without the CSRF token", r.status_code == 403, str(r.status_code), "403")
    r = browser.post(f"{base_url}/auth/refresh/", headers={"X-CSRFToken": csrf}, timeout=REQUEST_TIMEOUT)
    check("POST /auth/refresh/ with the CSRF token", r.status_code == 200 and COOKIE_NAME in r.cookies,
          str(r.status_code), "200 with a new access cookie", f"body: {short(body_of(r))}")
    r = browser.post(f"{base_url}/auth/logout/", headers={"X-CSRFToken": csrf}, timeout=REQUEST_TIMEOUT,
                     allow_redirects=False)
    logout_to = r.headers.get("Location", "")
    check(
        "POST /auth/logout/ (refresh token revoked, cookies cleared, then Cognito's /logout)",
        r.status_code == 302 and logout_to.startswith(f"{ministack_url}/logout?") and COOKIE_NAME not in browser.cookies,
        f"{r.status_code} to {urlsplit(logout_to).path}", "302 to /logout, no cookie left",
    )
    r = browser.get(logout_to, timeout=REQUEST_TIMEOUT, allow_redirects=False)
    check("GET Cognito's /logout", r.status_code == 302 and r.headers.get("Location", "").endswith("/signed-out/"),
          f"{r.status_code} to {r.headers.get('Location')}", "302 back to /signed-out/")
    r = browser.get(f"{base_url}/api/me/", timeout=REQUEST_TIMEOUT)
    check("GET /api/me/ again, signed out", r.status_code == 401, str(r.status_code), "401")


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    started = time.monotonic()
    # Also when started in the background, where SIGINT arrives ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    results = Results()
    workdir = Path(tempfile.mkdtemp(prefix="fastcognito-demo-"))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    moto = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    moto_started = False
    try:
        heading("Setting up (everything on 127.0.0.1)")
        moto.start()
        moto_started = True
        moto_host, moto_port = moto.get_host_and_port()
        moto_url = f"http://{moto_host}:{moto_port}"
        say(f"  moto Cognito emulator:  {moto_url}")
        pool = create_pool(moto_url)
        say(f"  user pool:              {pool.pool_id} (issuer {pool.issuer})")
        say(f"  JWKS:                   {pool.jwks_url}")
        say(f"  app client:             {pool.client_id} (ALLOW_USER_PASSWORD_AUTH)")
        say("  groups and users:       admins, editors; alice in admins+editors, bob in no group")
        alice, bob = pool.sign_in("alice"), pool.sign_in("bob")
        say(f"  signed in alice and bob: access tokens of {len(alice)} and {len(bob)} bytes")
        shown = ("username", "cognito:groups", "scope", "token_use", "client_id", "iss")
        claims = unverified_claims(alice)
        say(f"  alice's token claims:   {short({name: claims.get(name) for name in shown}, 400)}")

        env = project_env(pool, workdir / "db.sqlite3")
        migrate(env)
        say(f"  manage.py migrate:      SQLite database {workdir / 'db.sqlite3'}")
        ready_from = time.monotonic()
        with gunicorn(env, workdir / "gunicorn.log") as base_url:
            say(
                f"  gunicorn (1 worker, 2 threads): {base_url}, project examples/project,"
                f" ready in {time.monotonic() - ready_from:.1f} s"
            )
            walk_through(results, Client(base_url), pool, alice, bob)
            heading("Stopping the example project")
        timings(results, pool, alice)

        heading("Setting up the sign-in (ministack, everything on 127.0.0.1)")
        with ministack(workdir) as ministack_url:
            say(f"  ministack Cognito emulator:  {ministack_url}")
            app_port = free_port()
            app_url = f"http://{HOST}:{app_port}"
            hosted = create_hosted_pool(ministack_url, app_url)
            say(f"  user pool:              {hosted['pool_id']}, app client {hosted['client_id']} (with a secret)")
            signin_env = sign_in_env(env, ministack_url, hosted, app_url)
            with gunicorn(signin_env, workdir / "gunicorn-sign-in.log", port=app_port) as base_url:
                say(f"  gunicorn (1 worker, 2 threads): {base_url}, project examples/project, HOSTED_UI on")
                sign_in_walk_through(results, base_url, ministack_url)
                heading("Stopping the sign-in servers")
    except KeyboardInterrupt:
        say("\nFAIL: interrupted")
        return 130
    except Interrupted as stop:
        say(f"\nFAIL: stopped by signal (exit status {stop.code})")
        return int(stop.code or 1)
    except Exception as error:  # noqa: BLE001 - any crash is a failed demo, reported as such
        traceback.print_exc()
        say(f"\nFAIL: the demo crashed: {type(error).__name__}: {error}")
        return 1
    finally:
        with signals_deferred():
            if moto_started:
                moto.stop()
                say("  stopped moto")
            shutil.rmtree(workdir, ignore_errors=True)

    heading("Summary")
    elapsed = time.monotonic() - started
    if results.failed:
        total = results.passed + len(results.failed)
        say(f"FAIL: {len(results.failed)} of {total} checks failed ({elapsed:.1f} s):")
        for label in results.failed:
            say(f"  - {label}")
        return 1
    say(f"OK: all {results.passed} checks passed in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
