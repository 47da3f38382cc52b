"""Application Load Balancer tokens: the ES256 JWT an ALB signs into ``x-amzn-oidc-data``.

An ALB that authenticates users (with Cognito or another OIDC provider) passes the user's claims
to the targets in a JWT of its own. It differs from Cognito's tokens in every layer, so it has
its own small pipeline here instead of a place in the twins' hot path:

* ES256 (ECDSA P-256 with SHA-256, RFC 7518 §3.4), not RS256;
* the header names the ALB (``signer``, its ARN), the app client (``client``) and the key
  (``kid``); the payload has ``exp`` but no ``iat``;
* its segments are base64url *with* ``=`` padding;
* its public keys are single PEM files at ``https://public-keys.auth.elb.{region}.amazonaws.com/{kid}``.

The checks, in order: type and size; three segments of base64url (padding allowed); the header
(``alg`` ES256, a ``kid`` safe to put in a URL, an allowed ``signer``, an allowed ``client``)
before any key is fetched; the key; the signature; the claims (``exp``, ``nbf``, ``iat`` when
present, ``iss``). JSON nesting and NumericDates follow the twins' rules: deeper than
``MAX_JSON_DEPTH`` is malformed, and so is a ``null`` date.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ec import (
    ECDSA,
    SECP256R1,
    EllipticCurvePublicKey,
    EllipticCurvePublicNumbers,
)
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from ._constants import (
    CLAIM_GROUPS,
    DEFAULT_CACHE_SIZE,
    FORBIDDEN_HEADER_PARAMETERS,
    JWKS_CONNECT_TIMEOUT,
    JWKS_COOLDOWN,
    JWKS_READ_TIMEOUT,
    STRING_CLAIMS,
)
from ._impl import b64url_decode, json_too_deep, token_text, twin
from ._selftest import VectorCheck, describe
from ._validate import UNSET, check_url, integer, json_object, number, string_set
from .claims import Claims
from .exceptions import (
    ConfigurationError,
    ExpiredTokenError,
    InvalidClientError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidSignerError,
    JWKSError,
    KeyNotFoundError,
    MalformedTokenError,
    NotYetValidError,
    UnsupportedAlgorithmError,
)
from .jwks import download

__all__ = ["ALB_KEYS_URL", "ES256_VECTOR", "AlbKeyClient", "AlbVerifier", "parse_alb_arn"]

logger = logging.getLogger("fastcognito.alb")

ALB_KEYS_URL = "https://public-keys.auth.elb.{region}.amazonaws.com"
"""Where AWS publishes the ALB signing keys of a Region, one PEM file per ``kid``."""

# ALBs put the user's claims in this header; larger than a Cognito token, because an IdP's
# userinfo can be large.
DEFAULT_ALB_MAX_TOKEN_BYTES = 16 * 1024
# A P-256 public key in PEM is about 180 bytes.
_MAX_KEY_BYTES = 4096
_MAX_KEYS = 64
_ES256_SIGNATURE_BYTES = 64
_MAX_HEADER_CHARS = 2048

# arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188
_ALB_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:elasticloadbalancing:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d{1,2}):\d{12}:"
    r"loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{1,32}"
)
# ALB kids are UUIDs. The kid becomes a URL path segment, so only characters that cannot
# change the path (no '/', '.', '%', '?', '#') are accepted.
_SAFE_KID = re.compile(r"[A-Za-z0-9_-]{1,128}")

_ECDSA_SHA256 = ECDSA(SHA256())


def parse_alb_arn(arn: object) -> str:
    """Return the Region of an Application Load Balancer's ARN; raise ``ConfigurationError``."""
    if not isinstance(arn, str):
        raise ConfigurationError(f"an ALB ARN must be a string, got {type(arn).__name__}")
    match = _ALB_ARN.fullmatch(arn)
    if match is None:
        raise ConfigurationError(
            f"{arn!r} is not an Application Load Balancer ARN like "
            "'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/name/0123456789abcdef'"
        )
    return match.group("region")


def _padded_b64url_decode(segment: str) -> bytes:
    # ALBs pad their base64url (RFC 4648 §5 with §3.2's '='): accept exactly the padding the
    # length calls for, or none, then decode as strictly as a Cognito token.
    unpadded = segment.rstrip("=")
    padding = len(segment) - len(unpadded)
    if padding and (padding > 2 or len(segment) % 4):
        raise MalformedTokenError("a segment has padding of the wrong length")
    return b64url_decode(unpadded)


# --- the ES256 check of this cryptography build (fastcognito/_selftest.py) ---------------------
# A fixed P-256 key and its signature, R || S as an ALB token carries it, of the message below.
_SELF_TEST_MESSAGE = b"fastcognito: the ES256 check of this cryptography build"
_SELF_TEST_X = int("c92a0ea362f6ffeec90f35c0a9a203927de09f60bcb47767e6f506329fa5af26", 16)
_SELF_TEST_Y = int("4c0dfa5f739612d8ced5f987b41519760d8bbed142c819dcedbbc45b5b9f9a94", 16)
_SELF_TEST_SIGNATURE = bytes.fromhex(
    "df6379cf0f17f8d6261546612e5fb914fab1516e3973bb27963470b775523c5b"
    "871ce47721eee40d1a6e8d64e9bc69aa9c4e95a061cf2d369ccf3e81f989911e"
)


def _self_test_key() -> Any:
    return EllipticCurvePublicNumbers(_SELF_TEST_X, _SELF_TEST_Y, SECP256R1()).public_key()


def _es256_vector() -> str | None:
    """The vector through the key ``_self_test_key`` loads, as ``AlbVerifier.verify`` checks a
    signature: None when it is accepted and the same with one bit changed refused; else why not."""
    changed = _SELF_TEST_SIGNATURE[:-1] + bytes([_SELF_TEST_SIGNATURE[-1] ^ 1])
    step = "loading a P-256 public key"
    try:
        key = _self_test_key()
        step = "ECDSA verify"
        for signature, genuine in ((_SELF_TEST_SIGNATURE, True), (changed, False)):
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            der = encode_dss_signature(r, s)
            try:
                key.verify(der, _SELF_TEST_MESSAGE, _ECDSA_SHA256)
            except InvalidSignature:
                if genuine:
                    return "a valid signature was refused"
            else:
                if not genuine:
                    return "a changed signature was not refused"
        return None
    except Exception as err:  # noqa: BLE001  (any refusal of a step is the fault reported)
        return describe(step, err)


ES256_VECTOR = VectorCheck("ES256", _es256_vector)
"""Checked by every ``AlbVerifier`` at construction (under Django, in check E134)."""


_ABSENT: Any = object()


def _numeric_date(claims: dict[str, Any], name: str, *, required: bool) -> float | None:
    # RFC 7519 §2 NumericDate: a finite JSON number, not a boolean or a string. Only an absent
    # claim is absent: `null` is not a number, and the twins refuse it too.
    value = claims.get(name, _ABSENT)
    if value is _ABSENT:
        if required:
            raise MalformedTokenError(f"the claim {name!r} is missing")
        return None
    if type(value) not in (int, float):
        raise MalformedTokenError(f"the claim {name!r} is not a finite number")
    try:
        number = float(value)
    except OverflowError:
        raise MalformedTokenError(f"the claim {name!r} is not a finite number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise MalformedTokenError(f"the claim {name!r} is not a finite number")
    return number


class AlbKeyClient:
    """Fetches and caches the ALB public keys of one Region, one PEM file per ``kid``. Thread-safe.

    A known kid never fetches. An unknown kid is fetched at once, one fetch at a time (concurrent
    misses on a kid share it); after a fetch that found nothing, or failed, no other fetch is
    made for ``cooldown`` seconds, so a flood of invented kids costs one request per window.
    At most 64 keys are kept, the oldest dropped first.
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (JWKS_CONNECT_TIMEOUT, JWKS_READ_TIMEOUT),
        cooldown: float = JWKS_COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.cooldown = cooldown
        self._clock = clock
        self.by_kid: dict[str, EllipticCurvePublicKey] = {}
        self.fetches = 0
        self._failed_at: float | None = None
        self._last_error: str | None = None
        self._lock = threading.Lock()

    def key_url(self, kid: str) -> str:
        return f"{self.base_url}/{kid}"

    def get_key(self, kid: str) -> EllipticCurvePublicKey:
        """The key for ``kid``. Raises ``KeyNotFoundError`` (no such key) or ``JWKSError`` (the
        key server cannot be reached and holds no key for us yet)."""
        key = self.by_kid.get(kid)
        if key is not None:
            return key
        with self._lock:
            key = self.by_kid.get(kid)
            if key is not None:
                return key
            failed_at = self._failed_at
            if failed_at is not None and self._clock() - failed_at < self.cooldown:
                logger.debug("ALB key %s unknown; fetching is cooling down", kid)
                raise self._missing_error()
            self.fetches += 1
            try:
                key = self._download(kid)
            except KeyNotFoundError:
                self._failed_at = self._clock()
                raise
            except JWKSError as err:
                self._failed_at = self._clock()
                self._last_error = err.message
                logger.warning("could not fetch the ALB key %s: %s", kid, err)
                raise self._missing_error() from None
            self._failed_at = None
            self._last_error = None
            keys = dict(self.by_kid)
            keys[kid] = key
            while len(keys) > _MAX_KEYS:
                del keys[next(iter(keys))]
            # Replaced whole, so readers need no lock.
            self.by_kid = keys
            return key

    def _missing_error(self) -> KeyNotFoundError | JWKSError:
        # 503 while the key server is failing and no key was ever had; otherwise the kid is unknown.
        if self._last_error is not None and not self.by_kid:
            return JWKSError(self._last_error)
        return KeyNotFoundError()

    def _download(self, kid: str) -> EllipticCurvePublicKey:
        body = download(
            self.session,
            self.key_url(kid),
            timeout=self.timeout,
            max_bytes=_MAX_KEY_BYTES,
            what="the ALB key",
            server="the ALB key server",
            # Only identity: inflating a reply could outgrow the cap.
            headers={"Accept-Encoding": "identity"},
            redirects=0,
            # What the key endpoint answers for a kid it does not have.
            not_found=(403, 404),
        )
        try:
            key = load_pem_public_key(body)
        except (ValueError, TypeError) as err:
            raise JWKSError("the ALB key is not a PEM public key") from err
        if not isinstance(key, EllipticCurvePublicKey) or not isinstance(key.curve, SECP256R1):
            raise JWKSError("the ALB key is not a P-256 (ES256) key")
        return key

    def __repr__(self) -> str:
        return f"AlbKeyClient(base_url={self.base_url!r}, kids={sorted(self.by_kid)!r})"


class AlbVerifier:
    """Verifies the ``x-amzn-oidc-data`` header of an Application Load Balancer.

    ``alb_arn`` (one ARN or several, all in one Region) names the load balancers whose tokens
    are accepted; ``client_id`` the app client(s) of the ALB's authenticate action (the header's
    ``client``) and ``issuer`` the identity provider's issuer(s) (the payload's ``iss``). Both
    are required; ``None`` skips that check, and only when passed explicitly. ``keys_url``
    replaces ``https://public-keys.auth.elb.{region}.amazonaws.com`` (GovCloud, tests).
    """

    def __init__(
        self,
        alb_arn: str | Iterable[str],
        *,
        client_id: str | Iterable[str] | None = UNSET,
        issuer: str | Iterable[str] | None = UNSET,
        region: str | None = None,
        keys_url: str | None = None,
        leeway: float = 0,
        cache_size: int = DEFAULT_CACHE_SIZE,
        max_token_bytes: int = DEFAULT_ALB_MAX_TOKEN_BYTES,
        key_cooldown: float = JWKS_COOLDOWN,
        key_timeout: tuple[float, float] = (JWKS_CONNECT_TIMEOUT, JWKS_READ_TIMEOUT),
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        key_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if client_id is UNSET:
            raise ConfigurationError(
                "client_id is required: the app client id(s) of the ALB's authenticate action, "
                "or client_id=None to accept any client on purpose"
            )
        if issuer is UNSET:
            raise ConfigurationError(
                "issuer is required: the identity provider's issuer URL(s), "
                "or issuer=None to accept any issuer on purpose"
            )
        fault = ES256_VECTOR.fault()
        if fault is not None:
            raise ConfigurationError(ES256_VECTOR.message(fault))
        arns = string_set("alb_arn", alb_arn, allow_none=False)
        assert arns is not None
        regions = {parse_alb_arn(arn) for arn in arns}
        if len(regions) != 1:
            raise ConfigurationError(
                "the ALB ARNs are in several Regions, whose keys differ: use one AlbVerifier per Region"
            )
        (arn_region,) = regions
        if region is not None and region != arn_region:
            raise ConfigurationError(
                f"region {region!r} differs from the Region of the ALB ARNs ({arn_region!r})"
            )
        self.arns = arns
        self.region = arn_region
        self.client_ids = string_set("client_id", client_id, allow_none=True)
        self.issuers = string_set("issuer", issuer, allow_none=True)
        self.leeway = number("leeway", leeway)
        cache_size = integer("cache_size", cache_size, minimum=0)
        self.max_token_bytes = integer("max_token_bytes", max_token_bytes, minimum=64)
        if not (isinstance(key_timeout, tuple) and len(key_timeout) == 2):
            raise ConfigurationError("key_timeout must be a (connect, read) pair of seconds")
        timeout = (
            number("key_timeout", key_timeout[0], minimum=0.001),
            number("key_timeout", key_timeout[1], minimum=0.001),
        )
        if not callable(clock) or not callable(key_clock):
            raise ConfigurationError("clock and key_clock must be callable")
        self._clock = clock
        base = ALB_KEYS_URL.format(region=arn_region) if keys_url is None else keys_url
        self.keys = AlbKeyClient(
            check_url("keys_url", base),
            session=session,
            timeout=timeout,
            cooldown=number("key_cooldown", key_cooldown),
            clock=key_clock,
        )
        self._cache = twin.ClaimsCache(cache_size) if cache_size else None

    def verify(self, token: str | bytes) -> Claims:
        """The claims of a valid ALB token; raises a ``TokenError`` (401) or ``JWKSError`` (503)."""
        token = token_text(token, self.max_token_bytes)  # step 1 of the Cognito path
        now = float(self._clock())
        cache = self._cache
        if cache is not None:
            cached = cache.get(token, now)
            if cached is not None:
                return cached

        segments = token.split(".")
        if len(segments) != 3 or not all(segments):
            raise MalformedTokenError("the token does not have exactly three non-empty segments")
        header_segment, payload_segment, signature_segment = segments
        if len(header_segment) > _MAX_HEADER_CHARS:
            raise MalformedTokenError("the header is too large")
        # The twins' depth check and limit before the (recursive) parser sees the text: the same
        # answer as for a Cognito token, on every interpreter.
        raw_header = _padded_b64url_decode(header_segment)
        header = json_object(raw_header, "header", unique=True, too_deep=json_too_deep)
        kid = self._check_header(header)
        payload = _padded_b64url_decode(payload_segment)
        signature = _padded_b64url_decode(signature_segment)
        if len(signature) != _ES256_SIGNATURE_BYTES:
            # RFC 7518 §3.4: R and S, 32 octets each.
            raise InvalidSignatureError("the ES256 signature is not 64 bytes")

        key = self.keys.by_kid.get(kid)
        if key is None:
            key = self.keys.get_key(kid)
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            # The exact bytes that were signed, padding included.
            key.verify(der, f"{header_segment}.{payload_segment}".encode("ascii"), _ECDSA_SHA256)
        except InvalidSignature:
            raise InvalidSignatureError() from None

        claims = json_object(payload, "payload", unique=True, too_deep=json_too_deep)
        expires_at, not_before = self._check_claims(claims, now)
        result = Claims(claims)
        if cache is not None:
            cache.put(token, result, expires_at, not_before)
        return result

    def _check_header(self, header: dict[str, Any]) -> str:
        for name in FORBIDDEN_HEADER_PARAMETERS:
            if name in header:
                raise MalformedTokenError(f"the header parameter {name!r} is not accepted")
        alg = header.get("alg")
        if alg != "ES256":
            raise UnsupportedAlgorithmError("the algorithm of an ALB token must be ES256")
        kid = header.get("kid")
        if type(kid) is not str or _SAFE_KID.fullmatch(kid) is None:
            raise MalformedTokenError("the header's kid is missing or not a key id")
        signer = header.get("signer")
        if type(signer) is not str or signer not in self.arns:
            # Checked before any key is fetched: a token naming another ALB costs no request.
            raise InvalidSignerError(
                claim="signer", actual=signer if type(signer) is str else None, expected=sorted(self.arns)
            )
        if self.client_ids is not None:
            client = header.get("client")
            if type(client) is not str or client not in self.client_ids:
                raise InvalidClientError(
                    claim="client",
                    actual=client if type(client) is str else None,
                    expected=sorted(self.client_ids),
                )
        return kid

    def _check_claims(self, claims: dict[str, Any], now: float) -> tuple[float, float]:
        # The claims Claims and CognitoUser read as strings or a list of strings must be so:
        # a string `cognito:groups` would otherwise become a tuple of its letters.
        for name in STRING_CLAIMS:
            if type(claims.get(name, "")) is not str:
                raise MalformedTokenError(f"the claim {name!r} is not a string")
        groups = claims.get(CLAIM_GROUPS, [])
        if type(groups) is not list or not all(type(group) is str for group in groups):
            raise MalformedTokenError(f"the claim {CLAIM_GROUPS!r} is not a list of strings")
        aud = claims.get("aud", "")
        if type(aud) is not str and (type(aud) is not list or not all(type(item) is str for item in aud)):
            raise MalformedTokenError("the claim 'aud' is not a string or a list of strings")
        leeway = self.leeway
        exp = _numeric_date(claims, "exp", required=True)
        assert exp is not None
        if not now < exp + leeway:
            raise ExpiredTokenError(claim="exp", actual=claims["exp"], expected=f"> {now - leeway}")
        not_before = float("-inf")
        # An ALB sets no iat; one that is present must not lie in the future either.
        for name in ("nbf", "iat"):
            value = _numeric_date(claims, name, required=False)
            if value is not None:
                if value > now + leeway:
                    raise NotYetValidError(claim=name, actual=claims[name], expected=f"<= {now + leeway}")
                not_before = max(not_before, value)
        if self.issuers is not None:
            iss = claims.get("iss")
            if type(iss) is not str or iss not in self.issuers:
                raise InvalidIssuerError(
                    claim="iss", actual=iss if type(iss) is str else None, expected=sorted(self.issuers)
                )
        return exp + leeway, not_before - leeway

    def cache_info(self) -> Any:
        """Hits, misses, current size and maximum size of the claims cache."""
        if self._cache is None:
            return twin.CacheInfo(0, 0, 0, 0)
        return self._cache.info()

    def __repr__(self) -> str:
        return f"AlbVerifier(arns={sorted(self.arns)!r}, region={self.region!r})"
