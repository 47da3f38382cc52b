"""Helpers of the sign-in view tests (tests/django and tests/security), and a Cognito stand-in.

``CognitoStandIn`` is a real HTTP server on 127.0.0.1 that answers the calls the sign-in views
make (``/oauth2/token`` with the code and refresh grants, the JSON API's ``InitiateAuth`` and
``RevokeToken``) and serves the JWKS, with genuine RS256 tokens signed by the test key. Unlike
ministack it can issue expired access tokens, rotate refresh tokens, and it counts every call
it gets, so a test can prove that an attack made no call, or no more than so many.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from http.cookies import Morsel
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support import CLIENT_ID, KID, POOL_ID, access_claims, id_claims, rsa_jwk, sign_token

ACCESS = "fastcognito_access"
REFRESH = "fastcognito_refresh"
STATE = "fastcognito_signin"
PROTECTED = "/plain/protected/"
PASSWORD = "Correct-horse-1!"
WRONG_PASSWORD = "Wrong-password-1!"
REDIRECT_URI = "http://127.0.0.1:8000/auth/callback/"
LOGOUT_URI = "http://127.0.0.1:8000/signed-out/"
JWKS_PATH = "/pool/.well-known/jwks.json"

__all__ = [
    "ACCESS",
    "PASSWORD",
    "PROTECTED",
    "REFRESH",
    "STATE",
    "WRONG_PASSWORD",
    "CognitoStandIn",
    "assert_no_login",
    "cookie",
    "set_cookies",
    "signin",
    "stand_in_settings",
    "state_cookie_name",
]


# --- responses and cookies ----------------------------------------------------------------------


def cookie(response: Any, name: str, path: str = "/") -> Morsel[str]:
    for morsel in response.cookies.values():
        if morsel.key == name and morsel["path"] == path:
            return morsel
    found = [(morsel.key, morsel["path"]) for morsel in response.cookies.values()]
    raise AssertionError(f"no Set-Cookie for {name} at {path}: {found}")


def set_cookies(response: Any) -> dict[tuple[str, str], Morsel[str]]:
    return {(morsel.key, morsel["path"]): morsel for morsel in response.cookies.values()}


def assert_no_login(response: Any) -> None:
    for morsel in response.cookies.values():
        if morsel.key in (ACCESS, REFRESH):
            assert morsel.value == "" and morsel["max-age"] == 0, f"{morsel.key} set on a failure"


def state_cookie_name(authorize_url: str, *, secure: bool = True) -> tuple[str, str]:
    """The state of the attempt and its cookie's name: ``__Host-`` first wherever the cookies are
    ``Secure`` (the test client's host, ``testserver``, is not a loopback one)."""
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    name = f"{STATE}_{hashlib.sha256(state.encode()).hexdigest()[:16]}"
    return state, f"__Host-{name}" if secure else name


def signin(browser: Any, username: str, password: str, **extra: Any) -> Any:
    body = json.dumps({"username": username, "password": password})
    return browser.post("/auth/signin/", body, content_type="application/json", **extra)


# --- the stand-in -------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class CognitoStandIn:
    """Cognito's token endpoint, JSON API and JWKS for one app client (``CLIENT_ID``, no secret)
    of the test pool (``POOL_ID``, whose default issuer the tokens carry).

    ``users`` maps user names to passwords. ``rotate=True`` makes every refresh issue a new
    refresh token and invalidate the old one (Cognito's refresh-token rotation). ``calls``
    counts the requests by kind: ``InitiateAuth``, ``RevokeToken``, ``refresh_token``,
    ``authorization_code``.
    """

    def __init__(
        self, key: rsa.RSAPrivateKey, *, users: Mapping[str, str] | None = None, rotate: bool = False
    ) -> None:
        self.key = key
        self.users = dict(users or {"alice": PASSWORD, "bob": PASSWORD})
        self.rotate = rotate
        self.calls: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> user name
        self._codes: dict[str, tuple[str, str, str]] = {}  # code -> (user name, nonce, challenge)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == JWKS_PATH:
                    self._answer(200, {"keys": [rsa_jwk(outer.key, KID)]})
                else:
                    self._answer(404, {"error": "not_found"})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/oauth2/token":
                    form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
                    self._answer(*outer._token(form))
                else:
                    target = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
                    self._answer(*outer._api(target, json.loads(body)))

            def _answer(self, status: int, payload: Mapping[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- life -------------------------------------------------------------------------------

    def __enter__(self) -> CognitoStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}{JWKS_PATH}"

    # --- tokens -----------------------------------------------------------------------------

    def access_token(
        self, username: str = "alice", *, expired: bool = False, origin_jti: str | None = None
    ) -> str:
        """A genuine access token of ``username``; ``expired=True``: it expired a minute ago."""
        now = int(time.time()) - (3660 if expired else 0)
        claims = access_claims(
            now,
            sub=str(uuid.uuid5(uuid.NAMESPACE_URL, username)),
            username=username,
            jti=str(uuid.uuid4()),
            origin_jti=origin_jti or str(uuid.uuid4()),
            event_id=str(uuid.uuid4()),
            **{"cognito:groups": ["readers"]},
        )
        return sign_token({"kid": KID, "alg": "RS256"}, claims, self.key)

    def id_token(self, username: str, *, nonce: str | None = None, origin_jti: str | None = None) -> str:
        claims = id_claims(
            sub=str(uuid.uuid5(uuid.NAMESPACE_URL, username)),
            jti=str(uuid.uuid4()),
            origin_jti=origin_jti or str(uuid.uuid4()),
            **{"cognito:username": username, "email": f"{username}@example.com"},
        )
        if nonce is not None:
            claims["nonce"] = nonce
        return sign_token({"kid": KID, "alg": "RS256"}, claims, self.key)

    def refresh_token(self, username: str = "alice") -> str:
        """A refresh token of ``username`` that this stand-in will honour."""
        token = f"refresh-{secrets.token_urlsafe(24)}"
        with self._lock:
            self._refresh_tokens[token] = username
        return token

    def expired_session(self, username: str = "alice") -> tuple[str, str]:
        """What a browser holds an hour after signing in: an expired access token and a live
        refresh token."""
        return self.access_token(username, expired=True), self.refresh_token(username)

    def _token_set(
        self, username: str, *, nonce: str | None = None, with_refresh: bool = True
    ) -> dict[str, Any]:
        origin_jti = str(uuid.uuid4())
        answer = {
            "access_token": self.access_token(username, origin_jti=origin_jti),
            "id_token": self.id_token(username, nonce=nonce, origin_jti=origin_jti),
            "expires_in": 3600,
            "token_type": "Bearer",
        }
        if with_refresh:
            answer["refresh_token"] = self.refresh_token(username)
        return answer

    # --- endpoints --------------------------------------------------------------------------

    def _token(self, form: Mapping[str, str]) -> tuple[int, Mapping[str, Any]]:
        grant = form.get("grant_type", "")
        with self._lock:
            self.calls[grant] += 1
        if form.get("client_id") != CLIENT_ID:
            return 400, {"error": "invalid_client"}
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            with self._lock:
                username = self._refresh_tokens.get(token)
                if username is not None and self.rotate:
                    del self._refresh_tokens[token]
            if username is None:
                return 400, {"error": "invalid_grant"}
            return 200, self._token_set(username, with_refresh=self.rotate)
        if grant == "authorization_code":
            with self._lock:
                found = self._codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
            if found is None or found[2] != challenge or form.get("redirect_uri") != REDIRECT_URI:
                return 400, {"error": "invalid_grant"}
            return 200, self._token_set(found[0], nonce=found[1])
        return 400, {"error": "unsupported_grant_type"}

    def _api(self, target: str, body: Mapping[str, Any]) -> tuple[int, Mapping[str, Any]]:
        with self._lock:
            self.calls[target] += 1
        if target == "InitiateAuth":
            parameters = body.get("AuthParameters", {})
            username, password = parameters.get("USERNAME"), parameters.get("PASSWORD")
            if self.users.get(username) != password:
                return 400, {"__type": "NotAuthorizedException", "message": "Incorrect username or password."}
            tokens = self._token_set(username)
            return 200, {
                "AuthenticationResult": {
                    "AccessToken": tokens["access_token"],
                    "IdToken": tokens["id_token"],
                    "RefreshToken": tokens["refresh_token"],
                    "ExpiresIn": 3600,
                    "TokenType": "Bearer",
                }
            }
        if target == "RevokeToken":
            with self._lock:
                self._refresh_tokens.pop(body.get("Token", ""), None)
            return 200, {}
        return 400, {"__type": "InvalidParameterException", "message": "unknown action"}

    def authorize(self, authorize_url: str, username: str = "alice") -> dict[str, str]:
        """What the managed login does once ``username`` has signed in: a code bound to the
        attempt's nonce and PKCE challenge. Returns the callback's query (``code``, ``state``)."""
        query = {name: values[0] for name, values in parse_qs(urlsplit(authorize_url).query).items()}
        assert query["client_id"] == CLIENT_ID and query["redirect_uri"] == REDIRECT_URI
        assert query["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = (username, query["nonce"], query["code_challenge"])
        return {"code": code, "state": query["state"]}


def stand_in_settings(stand_in: CognitoStandIn, **hosted: Any) -> dict[str, Any]:
    """``FASTCOGNITO`` for the stand-in's pool and client; ``hosted`` overrides ``HOSTED_UI``."""
    return {
        "USER_POOL_ID": POOL_ID,
        "CLIENT_ID": CLIENT_ID,
        "TOKEN_USE": "access",
        "JWKS_URL": stand_in.jwks_url,
        "COOKIE_NAME": ACCESS,
        "HOSTED_UI": {
            "DOMAIN": stand_in.url,
            "API_URL": f"{stand_in.url}/",
            "REDIRECT_URI": REDIRECT_URI,
            "LOGOUT_URI": LOGOUT_URI,
            "TIMEOUT": 2,
            **hosted,
        },
    }


def iter_state_cookies(browser: Any) -> Iterator[Morsel[str]]:
    """The state cookies a browser would send to the callback (a deleted one is not sent)."""
    for morsel in browser.cookies.values():
        if morsel.key.startswith(f"{STATE}_") and morsel.value and morsel["max-age"] != 0:
            yield morsel
