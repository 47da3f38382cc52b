"""Test helpers for your own test suites: Cognito-shaped tokens signed by a local key.

A ``FakeUserPool`` holds a local RSA key and the public JWKS of it, makes access and id tokens
shaped like Cognito's (``make_token``, and ``expired_token`` and the other variants), and points
``FASTCOGNITO`` at itself (``override_settings``), offline or through a JWKS served on 127.0.0.1
(``serve``). Nothing here calls AWS, and nothing binds anything but loopback.

With pytest, add this line to your ``conftest.py``::

    pytest_plugins = ["fastcognito.testing"]

for the fixtures ``fake_user_pool`` (one pool per session) and ``fake_cognito_settings`` (the pool,
with ``FASTCOGNITO`` pointed at it for one test). Django is imported only by the methods that need
it, so the token helpers work without it.

Without pytest, make the pool at module level and decorate a Django ``TestCase`` with it (a class
decorator runs when the class is defined, before ``setUpClass`` could make a pool)::

    POOL = FakeUserPool()

    @POOL.override_settings()
    class ArticleTests(TestCase):
        def test_articles(self):
            token = POOL.make_token(groups=["editors"])
            response = self.client.get("/api/articles/", HTTP_AUTHORIZATION=f"Bearer {token}")
            self.assertEqual(response.status_code, 200)
"""

from __future__ import annotations

import base64
import contextlib
import functools
import importlib.util
import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .claims import Claims
from .verifier import CognitoVerifier, default_issuer, parse_user_pool_id

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_USER_POOL_ID",
    "OMIT",
    "FakeUserPool",
    "generate_key",
]

DEFAULT_USER_POOL_ID = "eu-west-1_FakePool01"
DEFAULT_CLIENT_ID = "fakeclient0123456789abcdef"
DEFAULT_KID = "fastcognito-testing-key"
DEFAULT_SUB = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
OTHER_CLIENT_ID = "anotherclient0123456789abc"


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()
"""Pass as a claim's value to leave that claim out: ``pool.make_token(exp=OMIT)``."""


@functools.lru_cache(maxsize=None)
def generate_key(slot: int = 0) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key, made once per process and ``slot`` (making one takes ~0.1 s)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _sign(header: Mapping[str, Any], payload: Mapping[str, Any], key: rsa.RSAPrivateKey) -> str:
    segments = [_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload)]
    signing_input = ".".join(segments)
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


class FakeUserPool:
    """A user pool whose signing key lives in your test process.

    ``make_token()`` gives an access token for ``client_id``, valid for an hour, for the user
    ``alice``; keywords change the claims (``groups``, ``scopes``, ``username`` and any raw claim,
    ``OMIT`` removes one). The ``*_token`` variants are the tokens a verifier must refuse.
    """

    def __init__(
        self,
        user_pool_id: str = DEFAULT_USER_POOL_ID,
        client_id: str = DEFAULT_CLIENT_ID,
        *,
        kid: str = DEFAULT_KID,
        key: rsa.RSAPrivateKey | None = None,
        issuer: str | None = None,
    ) -> None:
        parse_user_pool_id(user_pool_id)
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.kid = kid
        self.key = key if key is not None else generate_key()
        self.issuer = issuer if issuer is not None else default_issuer(user_pool_id)
        self.jwks_url: str | None = None
        """The URL of the JWKS while ``serve()`` runs, else ``None``."""
        self.jwks_requests = 0
        """How many times the served JWKS was fetched."""

    def __repr__(self) -> str:
        return f"FakeUserPool({self.user_pool_id!r}, client_id={self.client_id!r}, kid={self.kid!r})"

    # --- keys ------------------------------------------------------------------------------------

    @property
    def jwks(self) -> dict[str, Any]:
        """The public JWKS document of the pool's key (RFC 7517), as Cognito publishes it."""
        numbers = self.key.public_key().public_numbers()
        key = {"alg": "RS256", "e": _uint(numbers.e), "kid": self.kid, "kty": "RSA", "n": _uint(numbers.n)}
        return {"keys": [{**key, "use": "sig"}]}

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """Serve the JWKS on 127.0.0.1 (a free port) while the block runs; yields its URL.

        ``settings()`` and ``override_settings()`` use it (``JWKS_URL``) while it runs.
        """
        pool = self
        path = f"/{self.user_pool_id}/.well-known/jwks.json"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                if self.path != path:
                    self.send_error(404)
                    return
                pool.jwks_requests += 1
                body = json.dumps(pool.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # a test run's output is not the place for an access log

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, name="fastcognito-jwks", daemon=True)
        thread.start()
        previous = self.jwks_url
        self.jwks_url = f"http://127.0.0.1:{server.server_address[1]}{path}"
        try:
            yield self.jwks_url
        finally:
            self.jwks_url = previous
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)

    # --- tokens ----------------------------------------------------------------------------------

    def claims(
        self,
        token_use: str = "access",
        *,
        username: str = "alice",
        groups: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
        lifetime: float = 3600,
        now: float | None = None,
        **claims: Any,
    ) -> dict[str, Any]:
        """The payload of a Cognito ``token_use`` token (``"access"`` or ``"id"``).

        ``groups`` become ``cognito:groups`` and ``scopes`` the space-separated ``scope`` (access
        tokens). Other keywords are raw claims, added or replacing ours; ``OMIT`` removes one.
        Use ``**{"custom:tenant": "acme"}`` for names that are not identifiers.
        """
        if token_use not in ("access", "id"):
            raise ValueError("token_use must be 'access' or 'id'")
        issued = int(time.time() if now is None else now)
        payload: dict[str, Any] = {
            "sub": DEFAULT_SUB,
            "iss": self.issuer,
            "token_use": token_use,
            "auth_time": issued,
            "iat": issued,
            "exp": int(issued + lifetime),
            "jti": "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff",
            "origin_jti": "cccccccc-dddd-4eee-8fff-000000000000",
            "event_id": "dddddddd-eeee-4fff-8000-111111111111",
        }
        if groups is not None:
            payload["cognito:groups"] = list(groups)
        if token_use == "access":
            payload.update(
                client_id=self.client_id,
                username=username,
                scope=" ".join(scopes) if scopes is not None else "aws.cognito.signin.user.admin",
                version=2,
            )
        else:
            payload.update(
                aud=self.client_id,
                **{"cognito:username": username},
                email=f"{username}@example.com",
                email_verified=True,
            )
            if scopes is not None:
                raise ValueError("id tokens carry no scopes")
        payload.update(claims)
        return {name: value for name, value in payload.items() if value is not OMIT}

    def make_token(
        self,
        token_use: str = "access",
        *,
        header: Mapping[str, Any] | None = None,
        key: rsa.RSAPrivateKey | None = None,
        **claims: Any,
    ) -> str:
        """A signed token with the claims of ``claims(token_use, **claims)``.

        ``header`` replaces the JOSE header (default ``{"kid": <kid>, "alg": "RS256"}``); ``key``
        signs with another key.
        """
        return _sign(
            header if header is not None else {"kid": self.kid, "alg": "RS256"},
            self.claims(token_use, **claims),
            key if key is not None else self.key,
        )

    def access_token(self, **claims: Any) -> str:
        return self.make_token("access", **claims)

    def id_token(self, **claims: Any) -> str:
        return self.make_token("id", **claims)

    # Tokens a verifier of this pool must refuse, each for one reason (its error code).

    def expired_token(self, token_use: str = "access", **claims: Any) -> str:
        """``expired``: issued two hours ago, expired an hour ago."""
        return self.make_token(token_use, now=time.time() - 7200, **claims)

    def not_yet_valid_token(self, token_use: str = "access", **claims: Any) -> str:
        """``not_yet_valid``: issued an hour from now."""
        return self.make_token(token_use, now=time.time() + 3600, **claims)

    def wrong_client_token(self, token_use: str = "access", **claims: Any) -> str:
        """``invalid_client``: issued to another app client."""
        client = {"client_id": OTHER_CLIENT_ID} if token_use == "access" else {"aud": OTHER_CLIENT_ID}
        return self.make_token(token_use, **{**client, **claims})

    def wrong_issuer_token(self, token_use: str = "access", **claims: Any) -> str:
        """``invalid_issuer``: signed by this pool's key, naming another pool as issuer."""
        region = parse_user_pool_id(self.user_pool_id)
        return self.make_token(token_use, **{"iss": default_issuer(f"{region}_AnotherPool9"), **claims})

    def wrong_token_use_token(self, token_use: str = "access", **claims: Any) -> str:
        """``invalid_token_use``: an id token where ``token_use`` is wanted, or the reverse."""
        return self.make_token("id" if token_use == "access" else "access", **claims)

    def bad_signature_token(self, token_use: str = "access", **claims: Any) -> str:
        """``invalid_signature``: the pool's ``kid``, signed by another key."""
        return self.make_token(token_use, key=generate_key(1), **claims)

    def unknown_kid_token(self, token_use: str = "access", **claims: Any) -> str:
        """``unknown_kid``: a ``kid`` the pool's JWKS does not have."""
        return self.make_token(token_use, header={"kid": f"{self.kid}-unknown", "alg": "RS256"}, **claims)

    # --- verifying -------------------------------------------------------------------------------

    def verifier(self, **options: Any) -> CognitoVerifier:
        """An offline ``CognitoVerifier`` of this pool (``client_id``, access tokens); keywords
        override."""
        settings: dict[str, Any] = {
            "client_id": self.client_id,
            "token_use": "access",
            "issuer": self.issuer,
            "jwks": self.jwks,
        }
        settings.update(options)
        return CognitoVerifier(self.user_pool_id, **settings)

    def verified_claims(self, token_use: str = "access", **claims: Any) -> Claims:
        """The ``Claims`` a verifier returns for ``make_token(token_use, **claims)``: what
        ``request.auth`` holds."""
        return self.verifier(token_use=token_use).verify(self.make_token(token_use, **claims))

    # --- Django ----------------------------------------------------------------------------------

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """``FASTCOGNITO`` pointing at this pool: your project's own ``FASTCOGNITO`` with the pool,
        client, issuer and keys replaced (offline ``JWKS``, or ``JWKS_URL`` while ``serve()``
        runs); keywords override keys."""
        from django.conf import settings as django_settings

        config = dict(getattr(django_settings, "FASTCOGNITO", None) or {})
        for key in ("REGION", "JWKS", "JWKS_URL", "PREFETCH_JWKS_FATAL"):
            config.pop(key, None)
        config.update(USER_POOL_ID=self.user_pool_id, CLIENT_ID=self.client_id, ISSUER=self.issuer)
        if self.jwks_url is not None:
            config["JWKS_URL"] = self.jwks_url
        else:
            config["JWKS"] = self.jwks
        config.update(overrides)
        return config

    def override_settings(self, **overrides: Any) -> Any:
        """``django.test.override_settings(FASTCOGNITO=self.settings(**overrides))``: a context
        manager and a decorator of test functions and classes."""
        from django.test import override_settings

        return override_settings(FASTCOGNITO=self.settings(**overrides))

    def user(self, token_use: str = "access", **claims: Any) -> Any:
        """The ``request.user`` a token with these claims gets, built as the DRF class and the
        middleware build it: ``FASTCOGNITO["USER_CLASS"]`` (``CognitoUser`` by default), or a
        ``CognitoClient`` for a machine token (``sub`` equal to ``client_id``, no username and no
        groups: ``make_token(sub=pool.client_id, username=OMIT)``), which raises
        ``MachineTokenRefusedError`` where ``MACHINE_CLIENTS`` refuses that client, as a request
        would. For ``APIClient.force_authenticate``."""
        return _principal(self.verified_claims(token_use, **claims))

    def force_authenticate(self, client: Any, token_use: str = "access", **claims: Any) -> Any:
        """``client.force_authenticate(user=..., token=<Claims>)`` on a DRF ``APIClient``, with
        the user and claims of a token of this pool; returns the user. Skips the token entirely:
        test the token path with ``make_token`` and an ``Authorization`` header."""
        verified = self.verified_claims(token_use, **claims)
        user = _principal(verified)
        client.force_authenticate(user=user, token=verified)
        return user


def _principal(claims: Claims) -> Any:
    """``request.user`` for ``claims``: the function the DRF class and the middleware call, after
    the refusal their verifier makes of a machine token whose client ``MACHINE_CLIENTS`` does not
    name (``MachineTokenRefusedError``, a 401 ``machine_token_refused`` in a request)."""
    from .django.client import machine_token_check, principal_for
    from .django.conf import fastcognito_settings

    refuse = machine_token_check(fastcognito_settings.MACHINE_CLIENTS)
    if refuse is not None:
        refuse(claims)
    return principal_for(claims, fastcognito_settings.USER_CLASS)


# --- pytest fixtures (``pytest_plugins = ["fastcognito.testing"]``) ----------------------------

if importlib.util.find_spec("pytest") is not None:
    import pytest

    @pytest.fixture(scope="session")
    def fake_user_pool() -> FakeUserPool:
        """A ``FakeUserPool`` shared by the session (its key is made once)."""
        return FakeUserPool()

    @pytest.fixture
    def fake_cognito_settings(fake_user_pool: FakeUserPool) -> Iterator[FakeUserPool]:
        """The session's ``FakeUserPool``, with ``FASTCOGNITO`` pointed at it (offline) for one
        test."""
        with fake_user_pool.override_settings():
            yield fake_user_pool
