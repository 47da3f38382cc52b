"""What people use today to verify a Cognito token, each configured for the same checks as
fastcognito wherever the library can make them, and each given its keys offline.

A peer is a factory: given a ``PeerKeys`` (the JWKS as a dict, as a file, and served on
127.0.0.1), it returns ``verify(token)``, which returns the claims or raises (a falsy return, as
Djognito's style gives, also counts as a rejection). ``correctness_pass`` runs every peer on the
good token and on one bad token per check before anything is timed; the checks a peer does not
make are declared here, verified by that pass, and printed beside its figure.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_tokens import CHECKS, CLIENT_ID, ISSUER, POOL_ID, REGION, BenchToken, JWKSServer

Verify = Callable[[str], Any]


@dataclass(frozen=True)
class PeerKeys:
    """The bench JWKS three ways: a dict, a file path, and a URL on 127.0.0.1."""

    jwks: dict[str, Any]
    jwks_path: str
    jwks_url: str


@contextmanager
def peer_keys(bench_token: BenchToken) -> Iterator[PeerKeys]:
    """Writes the JWKS to a temporary file and serves it on 127.0.0.1 until the block ends."""
    server = JWKSServer(bench_token.jwks)
    try:
        with tempfile.TemporaryDirectory(prefix="fastcognito-bench-") as directory:
            path = Path(directory) / "jwks.json"
            path.write_text(json.dumps(bench_token.jwks), encoding="utf-8")
            yield PeerKeys(bench_token.jwks, str(path), server.url)
    finally:
        server.stop()


# --- fastcognito -------------------------------------------------------------------------------


def _fastcognito(twin: str, cache_size: int) -> Callable[[PeerKeys], Verify]:
    def build(keys: PeerKeys) -> Verify:
        from fastcognito import CognitoVerifier, _verify, _verify_py

        verifier = CognitoVerifier(
            POOL_ID,
            client_id=CLIENT_ID,
            token_use="access",
            jwks=keys.jwks,
            cache_size=cache_size,
            _impl_module={"compiled": _verify, "pure": _verify_py}[twin],
        )
        return verifier.verify

    return build


# --- PyJWT, the current release ------------------------------------------------------------------


def _pyjwt_claims_check(claims: dict[str, Any]) -> dict[str, Any]:
    # Cognito access tokens carry `client_id` and `token_use`, which PyJWT does not know.
    if claims.get("client_id") != CLIENT_ID or claims.get("token_use") != "access":
        raise ValueError("wrong client or token_use")
    return claims


PYJWT_OPTIONS = {"require": ["exp", "iat", "iss"], "verify_aud": False}


def _pyjwt_pyjwk(keys: PeerKeys) -> Verify:
    import jwt

    by_kid = {key["kid"]: jwt.PyJWK(key, algorithm="RS256") for key in keys.jwks["keys"]}
    decode, header = jwt.decode, jwt.get_unverified_header

    def verify(token: str) -> dict[str, Any]:
        key = by_kid[header(token)["kid"]]
        claims = decode(token, key=key, algorithms=["RS256"], issuer=ISSUER, options=PYJWT_OPTIONS)
        return _pyjwt_claims_check(claims)

    return verify


def _pyjwt_pyjwkclient(keys: PeerKeys) -> Verify:
    import jwt

    # Fetched once from 127.0.0.1, then served from PyJWKClient's own cache, as in production.
    client = jwt.PyJWKClient(keys.jwks_url, cache_keys=True, lifespan=3600)
    decode = jwt.decode

    def verify(token: str) -> dict[str, Any]:
        key = client.get_signing_key_from_jwt(token)
        claims = decode(token, key=key, algorithms=["RS256"], issuer=ISSUER, options=PYJWT_OPTIONS)
        return _pyjwt_claims_check(claims)

    return verify


# --- python-jose, Authlib, joserfc, jwcrypto ---------------------------------------------------


def _python_jose(keys: PeerKeys) -> Verify:
    from jose import jwk, jwt

    by_kid = {key["kid"]: jwk.construct(key, "RS256") for key in keys.jwks["keys"]}
    header = jwt.get_unverified_header

    def verify(token: str) -> dict[str, Any]:
        claims = jwt.decode(
            token,
            by_kid[header(token)["kid"]],
            algorithms=["RS256"],
            issuer=ISSUER,
            options={"require_exp": True, "require_iat": True, "require_iss": True, "verify_aud": False},
        )
        return _pyjwt_claims_check(claims)

    return verify


def _authlib(keys: PeerKeys) -> Verify:
    # Authlib points users at joserfc, but authlib.jose is what most projects still run. Its
    # deprecation module installs an "always" filter on import, so ours goes in after it.
    from authlib.deprecate import AuthlibDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuthlibDeprecationWarning)
        from authlib.jose import JsonWebKey, JsonWebToken

    key_set = JsonWebKey.import_key_set(keys.jwks)
    token_reader = JsonWebToken(["RS256"])
    claims_options = {
        "iss": {"essential": True, "value": ISSUER},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "client_id": {"essential": True, "value": CLIENT_ID},
        "token_use": {"essential": True, "value": "access"},
    }

    def verify(token: str) -> Any:
        claims = token_reader.decode(token, key_set, claims_options=claims_options)
        claims.validate()
        return claims

    return verify


def _joserfc(keys: PeerKeys) -> Verify:
    from joserfc import jwt
    from joserfc.jwk import KeySet

    key_set = KeySet.import_key_set(keys.jwks)
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER},
        exp={"essential": True},
        iat={"essential": True},
        client_id={"essential": True, "value": CLIENT_ID},
        token_use={"essential": True, "value": "access"},
    )

    def verify(token: str) -> dict[str, Any]:
        decoded = jwt.decode(token, key_set, algorithms=["RS256"])
        registry.validate(decoded.claims)
        return decoded.claims

    return verify


def _jwcrypto(keys: PeerKeys) -> Verify:
    from jwcrypto import jwk, jwt

    key_set = jwk.JWKSet.from_json(json.dumps(keys.jwks))
    check_claims = {"iss": ISSUER, "exp": None, "iat": None, "client_id": CLIENT_ID, "token_use": "access"}

    def verify(token: str) -> dict[str, Any]:
        verified = jwt.JWT(jwt=token, key=key_set, algs=["RS256"], check_claims=check_claims)
        claims: dict[str, Any] = json.loads(verified.claims)
        return claims

    return verify


# --- Cognito-specific ------------------------------------------------------------------------


def _cognitojwt(keys: PeerKeys) -> Verify:
    # cognitojwt reads a local JWKS file when this variable names one (its offline mode).
    os.environ["AWS_COGNITO_JWKS_PATH"] = keys.jwks_path
    import cognitojwt

    decode = cognitojwt.decode

    def verify(token: str) -> dict[str, Any]:
        claims: dict[str, Any] = decode(token, REGION, POOL_ID, app_client_id=CLIENT_ID)
        return claims

    return verify


def _djognito_style(keys: PeerKeys) -> Verify:
    import djognito_style

    djognito_style.use_offline_keys(keys.jwks)
    os.environ.setdefault("AWS_COGNITO_REGION", REGION)
    os.environ.setdefault("AWS_COGNITO_USER_POOL_ID", POOL_ID)
    os.environ.setdefault("APP_CLIENT_ID", CLIENT_ID)
    return djognito_style.verify_jwt


def _django_cognito_jwt(keys: PeerKeys) -> Verify:
    from django.conf import LazySettings, settings
    from django_cognito_jwt import validator as validator_module

    if not settings.configured:
        # The validator reads two optional settings on every call. Without Django set up, it
        # gets a private settings object of the same class (the same lookup cost), so the
        # process-wide settings stay free for the Django benchmarks that configure them.
        private = LazySettings()
        private.configure()
        validator_module.settings = private  # type: ignore[attr-defined]

    validator = validator_module.TokenValidator(REGION, POOL_ID, CLIENT_ID)
    # Its JWKS is a cached_property fetched from Cognito's own host; seeding it keeps it offline.
    validator.__dict__["_json_web_keys"] = {key["kid"]: json.dumps(key) for key in keys.jwks["keys"]}
    return validator.validate


@dataclass(frozen=True)
class Peer:
    label: str
    distribution: str  # whose version the table prints
    build: Callable[[PeerKeys], Verify]
    # The checks of bench_tokens.CHECKS it does not make, as configured; the pass confirms them.
    cannot_check: frozenset[str] = frozenset()
    token_use: str = "access"  # django-cognito-jwt reads `aud`, which only ID tokens carry
    note: str = ""

    @property
    def name(self) -> str:
        try:
            version = importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        return f"{self.label} {version}" if self.distribution != "fastcognito" else self.label


# Cold verification: no peer keeps verified tokens; fastcognito runs with its cache off.
PEERS: dict[str, Peer] = {
    "fastcognito-compiled": Peer("fastcognito compiled", "fastcognito", _fastcognito("compiled", 0)),
    "fastcognito-pure": Peer("fastcognito pure", "fastcognito", _fastcognito("pure", 0)),
    "pyjwt-pyjwk": Peer("PyJWT (PyJWK)", "PyJWT", _pyjwt_pyjwk),
    "pyjwt-pyjwkclient": Peer("PyJWT (PyJWKClient)", "PyJWT", _pyjwt_pyjwkclient),
    "python-jose": Peer("python-jose", "python-jose", _python_jose, frozenset({"iat"})),
    "authlib": Peer("Authlib (authlib.jose)", "Authlib", _authlib),
    "joserfc": Peer("joserfc", "joserfc", _joserfc),
    "jwcrypto": Peer("jwcrypto", "jwcrypto", _jwcrypto, frozenset({"iat"})),
    # cognitojwt picks the client claim by token_use, so an ID-token claim set fails its client check.
    "cognitojwt": Peer("cognitojwt", "cognitojwt", _cognitojwt, frozenset({"iss", "iat"})),
    "djognito-style": Peer(
        "Djognito-style class (python-jose)",
        "python-jose",
        _djognito_style,
        frozenset({"iss", "iat", "token_use"}),
    ),
    "django-cognito-jwt": Peer(
        "django-cognito-jwt TokenValidator",
        "django-cognito-jwt",
        _django_cognito_jwt,
        frozenset({"token_use"}),
        token_use="id",
        note="ID tokens only (it checks aud)",
    ),
}


class PeerIsWrong(AssertionError):
    """A peer rejected the good token or accepted a forged signature: its figure would be a lie."""


def _accepts(verify: Verify, token: str) -> bool:
    try:
        return bool(verify(token))
    except Exception:  # noqa: BLE001 (every library raises its own tree; any exception is a rejection)
        return False


def correctness_pass(peer: Peer, verify: Verify, bench_token: BenchToken) -> frozenset[str]:
    """Checks the peer on the good token and each bad one; returns the checks it did not make.

    Raises PeerIsWrong when it rejects the good token, accepts a bad signature, or its misses are
    not the ones declared (a new release that starts or stops checking something shows up here).
    """
    if not _accepts(verify, bench_token.good(peer.token_use)):
        raise PeerIsWrong(f"{peer.name} rejects the good token")
    missed = frozenset(
        check for check, token in bench_token.bad(peer.token_use).items() if _accepts(verify, token)
    )
    if "signature" in missed:
        raise PeerIsWrong(f"{peer.name} accepts a token signed by another key")
    if missed != peer.cannot_check:
        raise PeerIsWrong(
            f"{peer.name} misses {sorted(missed)}, declared {sorted(peer.cannot_check)}: update PEERS"
        )
    return missed


MISS_WORDING = {
    "signature": "accepts a forged signature",
    "exp": "accepts an expired token",
    "iss": "no iss check",
    "iat": "accepts iat in the future",
    "client": "no client check",
    "token_use": "no token_use check",
}


def describe_misses(peer: Peer) -> str:
    parts = [MISS_WORDING[check] for check in CHECKS if check in peer.cannot_check]
    if peer.note:
        parts.append(peer.note)
    return "; ".join(parts)
