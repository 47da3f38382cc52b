"""Keys: one JWK to a ``cryptography`` RSA public key, and a ``KeySet`` built once per JWKS."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from hashlib import sha256
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

from ._constants import ALLOWED_ALGORITHMS, JWKS_MAX_KEYS, MIN_RSA_BITS, SHA256_DIGEST_INFO
from ._impl import b64url_decode
from ._selftest import VectorCheck, describe
from .exceptions import JWKSError, KeyNotFoundError, MalformedTokenError

__all__ = ["RS256_VECTOR", "KeySet", "load_rsa_public_key"]

logger = logging.getLogger("fastcognito.jwk")

# A kid comes from the network; a log line quotes no more of it than this.
_LOGGED_KID_CHARS = 80
_FOREVER = math.inf


def _b64_uint(jwk: Mapping[str, Any], name: str) -> int:
    # RFC 7518 §6.3.1 / RFC 7518 §2: Base64urlUInt, big-endian. A leading zero octet, which
    # RFC 7518 §2 forbids but some libraries emit, is tolerated: it does not change the value,
    # and the bit length checks below run on the value.
    value = jwk.get(name)
    if type(value) is not str or not value:
        raise JWKSError(f"the key's {name!r} is missing or not a string")
    try:
        raw = b64url_decode(value)
    except MalformedTokenError as err:
        raise JWKSError(f"the key's {name!r} is not base64url") from err
    return int.from_bytes(raw, "big")


def load_rsa_public_key(jwk: Mapping[str, Any]) -> RSAPublicKey:
    """Validate one JWK (RFC 7517 §4, RFC 7518 §6.3) and load it; raises ``JWKSError``.

    Only RSA signing keys for RS256 of at least 2048 bits are accepted (RFC 8725 §3.5).
    """
    if not isinstance(jwk, Mapping):
        raise JWKSError("a key is not a JSON object")
    # Members are compared by type first: a JSON list or object is unhashable, and a set
    # lookup on it would raise TypeError instead of skipping the key.
    if jwk.get("kty") != "RSA":
        raise JWKSError("the key is not an RSA key")
    use = jwk.get("use")
    if use is not None and use != "sig":  # RFC 7517 §4.2
        raise JWKSError("the key is not a signing key")
    alg = jwk.get("alg")
    if alg is not None and (type(alg) is not str or alg not in ALLOWED_ALGORITHMS):  # RFC 7517 §4.4
        raise JWKSError("the key is not for RS256")
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (type(key_ops) is not list or "verify" not in key_ops):  # RFC 7517 §4.3
        raise JWKSError("the key may not verify signatures")
    if any(name in jwk for name in ("d", "p", "q", "dp", "dq", "qi")):
        # A published private key is a leak; never use it, and say so.
        raise JWKSError("the key carries private parameters")
    modulus = _b64_uint(jwk, "n")
    exponent = _b64_uint(jwk, "e")
    if modulus.bit_length() < MIN_RSA_BITS:
        raise JWKSError(f"the key is shorter than {MIN_RSA_BITS} bits")
    if modulus % 2 == 0:
        # An RSA modulus is a product of odd primes; cryptography (OpenSSL 3) loads even ones.
        raise JWKSError("the key's modulus is not valid")
    if exponent < 3 or exponent % 2 == 0:
        raise JWKSError("the key's exponent is not valid")
    try:
        return RSAPublicNumbers(exponent, modulus).public_key()
    except ValueError as err:
        raise JWKSError("the key is not a valid RSA public key") from err


# --- the RS256 check of this cryptography build -------------------------------------------------
# Both twins check a signature as RFC 8017 §8.2.2 does: cryptography's recover_data_from_signature
# with PKCS1v15 and no digest (RSAVP1 and the padding check), then the recovered DigestInfo
# compared whole. An OpenSSL that refuses that call or SHA-256 (a FIPS policy, or an OPENSSL_CONF
# that asks for a provider which is not there) would fail every token with an exception the twins
# do not expect; this vector finds it at construction.
_SELF_TEST_MESSAGE = b"fastcognito: the RS256 check of this cryptography build"
_SELF_TEST_MODULUS = int(
    "87cdb0cac141ff560cecdd3f841676ede28531db0fe0c31b1c3bec831f3207a233b636083bdb153d5c9f7db6"
    "0ee094bcb8e854984baa49b137b3f9a94814be092e749d238e525ddbdb3f8940f053c36a0305ae650286606a"
    "d4cdc812f031af1940579ef6477936f363217241a460785e1e02bc90d2f84303cf3d0d5785064c5f349948e4"
    "928587f43b87f32ed517bb5ddbe7cef7db3eb81af4846f1f65fa20330198fec207a2292ce33df0a5b7a76308"
    "04fe7f31f4d40fbcaa4ba66034bc019b199d85e3149eaefc0548a463037bbf11deb1ca2f2c744e4878bd63a9"
    "b3012ea41a9624ca3b8743e7f805287dbca6394c748043b7c221c5818d610925a3166afb",
    16,
)
_SELF_TEST_SIGNATURE = bytes.fromhex(
    "4c36b9fa8e8187bf25ab71913a3fe313dd737850a71164682113e3c40836220bc455e80f0bb8867daab58d8b"
    "6c090e728ddc6c66b44a04ecd95554cbd5c42a929e00167fdb4d31d94a8f6d63d959755748a462331a1dadae"
    "d0a5c5707ad86b373503e7872d7d0b3191818cd6a32cee74110b0501a82322fd4b34b89d053f8b8c38c70763"
    "e52f464619707316167315faa3b6e010f15e05887ee6d11502bef1fcb000f6781a528f5274ab99feac395f91"
    "02621466855ad6d45c69e11849b09626be85612cd71dea3f049fd78d58838fa8e96ceb3ce32d792410fbaee4"
    "fc4dafae56c11a327668ae2938df9b80a44ca87b6605fc0cde01256e035903e8429dcd94"
)


def _self_test_key() -> Any:
    return RSAPublicNumbers(65537, _SELF_TEST_MODULUS).public_key()


def _rs256_vector() -> str | None:
    """The vector through the key ``_self_test_key`` loads, step by step as the twins make the
    check: None when the signature recovers the signed DigestInfo exactly and the same signature
    with one bit changed is refused; otherwise why not."""
    changed = _SELF_TEST_SIGNATURE[:-1] + bytes([_SELF_TEST_SIGNATURE[-1] ^ 1])
    step = "loading an RSA public key"
    try:
        key = _self_test_key()
        step = "recover_data_from_signature"
        recovered = key.recover_data_from_signature(_SELF_TEST_SIGNATURE, PKCS1v15(), None)
        step = "hashlib.sha256"
        if recovered != SHA256_DIGEST_INFO + sha256(_SELF_TEST_MESSAGE).digest():
            return "a valid signature recovered other data than the signed DigestInfo"
        step = "recover_data_from_signature"
        try:
            key.recover_data_from_signature(changed, PKCS1v15(), None)
        except InvalidSignature:
            return None
        return "a changed signature was not refused"
    except Exception as err:  # noqa: BLE001  (any refusal of a step is the fault reported)
        return describe(step, err)


RS256_VECTOR = VectorCheck("RS256", _rs256_vector)
"""Checked by every ``CognitoVerifier`` at construction and by the Django check E021."""


class KeySet(Mapping[str, RSAPublicKey]):
    """An immutable kid-to-key mapping, built once per JWKS document.

    It is also the key source of an offline pool: ``get_key`` never fetches.
    """

    __slots__ = ("by_kid",)

    by_kid: dict[str, RSAPublicKey]

    def __init__(self, keys: Mapping[str, RSAPublicKey] | None = None) -> None:
        self.by_kid = dict(keys or {})

    @classmethod
    def from_jwks(cls, document: object, source: str = "a JWKS given offline") -> KeySet:
        """Build from a JWKS document (RFC 7517 §5). Unusable keys are skipped with a warning
        that names ``source`` (``the JWKS at <url>``) and the key's ``kid``.

        Raises ``JWKSError`` when the document is not a JWKS or holds no usable key.
        """
        if not isinstance(document, Mapping):
            raise JWKSError("the JWKS is not a JSON object")
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise JWKSError("the JWKS has no 'keys' list")
        if len(entries) > JWKS_MAX_KEYS:
            raise JWKSError(f"the JWKS has more than {JWKS_MAX_KEYS} keys")
        keys: dict[str, RSAPublicKey] = {}
        for position, entry in enumerate(entries):
            kid = entry.get("kid") if isinstance(entry, Mapping) else None
            if type(kid) is not str or not kid:
                logger.warning("skipping key #%d of %s: it has no string kid", position, source)
                continue
            if kid in keys:
                logger.warning(
                    "skipping key %r of %s: its kid is used twice",
                    kid[:_LOGGED_KID_CHARS],
                    source,
                )
                continue
            try:
                keys[kid] = load_rsa_public_key(entry)
            except JWKSError as err:
                logger.warning("skipping key %r of %s: %s", kid[:_LOGGED_KID_CHARS], source, err)
        if not keys:
            raise JWKSError("the JWKS holds no usable RS256 key")
        return cls(keys)

    def get_key(self, kid: str) -> RSAPublicKey:
        key = self.by_kid.get(kid)
        if key is None:
            raise KeyNotFoundError()
        return key

    def key_for(self, kid: str) -> tuple[RSAPublicKey, float]:
        """The key for ``kid`` and how long it may be trusted: for ever, since nothing replaces
        an offline key set."""
        # get_key inlined: every cold verify calls this, and a Python call costs more than the rest.
        key = self.by_kid.get(kid)
        if key is None:
            raise KeyNotFoundError()
        return key, _FOREVER

    def __getitem__(self, kid: str) -> RSAPublicKey:
        return self.by_kid[kid]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_kid)

    def __len__(self) -> int:
        return len(self.by_kid)

    def __repr__(self) -> str:
        return f"KeySet(kids={sorted(self.by_kid)!r})"
