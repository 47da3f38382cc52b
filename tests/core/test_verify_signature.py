"""The RS256 check of both twins (step 6), made as RFC 8017 §8.2.2 verifies RSASSA-PKCS1-v1_5: the
signature is exactly k octets, cryptography does RSAVP1 and the type-1 padding, and the rest must
equal the whole DER DigestInfo of the SHA-256 hash.

Each hostile signature below is made with the private key's raw operation (s = EM^d mod n), so
only the encoded message is wrong; every one is also put to cryptography's ``key.verify``, and the
twins must decide as it does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InternalError, InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fastcognito import CognitoVerifier, InvalidSignatureError
from fastcognito._constants import SHA256_DIGEST_INFO
from tests.support import KID, Twin, access_claims, b64url, encode_segment, rsa_jwk
from tests.support.openssl_policy import run_with_and_without

SHA1_DIGEST_INFO = bytes.fromhex("3021300906052b0e03021a05000414")
SHA512_DIGEST_INFO = bytes.fromhex("3051300d060960864801650304020305000440")
# The SHA-256 AlgorithmIdentifier without its NULL parameters (RFC 8017 §B.1 allows readers to
# accept it; Cognito never signs so, and cryptography's verify refuses it).
SHA256_DIGEST_INFO_NO_NULL = bytes.fromhex("302f300b0609608648016503040201") + b"\x04\x20"


def _signing_input(kid: str = KID, **claims: Any) -> bytes:
    header = encode_segment({"kid": kid, "alg": "RS256"})
    return f"{header}.{encode_segment(access_claims(**claims))}".encode("ascii")


def _raw_sign(key: rsa.RSAPrivateKey, encoded: bytes) -> bytes:
    numbers = key.private_numbers()
    modulus = numbers.public_numbers.n
    length = (modulus.bit_length() + 7) // 8
    assert len(encoded) == length
    return pow(int.from_bytes(encoded, "big"), numbers.d, modulus).to_bytes(length, "big")


def _encoded(
    length: int, tail: bytes, *, block: bytes = b"\x00\x01", fill: int = 0xFF, pad: int | None = None
) -> bytes:
    pad = length - len(tail) - len(block) - 1 if pad is None else pad
    message = block + bytes([fill]) * pad + b"\x00" + tail
    return message.rjust(length, b"\x00")


def _hostile(signing_input: bytes, length: int) -> dict[str, bytes]:
    """Encoded messages (EM) of k octets, by name; only "genuine" is right."""
    digest = hashlib.sha256(signing_input).digest()
    right = SHA256_DIGEST_INFO + digest
    genuine = _encoded(length, right)
    return {
        "genuine": genuine,
        "a byte after the hash": _encoded(length, right + b"\x00"),
        "the hash alone, no DigestInfo": _encoded(length, digest),
        "DigestInfo without NULL parameters": _encoded(length, SHA256_DIGEST_INFO_NO_NULL + digest),
        "SHA-1 DigestInfo and hash": _encoded(length, SHA1_DIGEST_INFO + hashlib.sha1(signing_input).digest()),
        "SHA-512 DigestInfo and hash": _encoded(length, SHA512_DIGEST_INFO + hashlib.sha512(signing_input).digest()),
        "another input's hash": _encoded(length, SHA256_DIGEST_INFO + hashlib.sha256(signing_input + b"x").digest()),
        "block type 2": _encoded(length, right, block=b"\x00\x02"),
        "no leading zero octet": _encoded(length, right, block=b"\x01\x01"),
        "seven padding octets": _encoded(length, right, pad=7),
        "padding octets not 0xFF": _encoded(length, right, fill=0xFE),
        "one padding octet not 0xFF": genuine[:40] + b"\xfe" + genuine[41:],
        "no zero after the padding": b"\x00\x01" + b"\xff" * (length - 2 - len(right)) + right,
    }


def _token(signing_input: bytes, signature: bytes) -> str:
    return f"{signing_input.decode('ascii')}.{b64url(signature)}"


def _reference_accepts(key: rsa.RSAPrivateKey, signature: bytes, signing_input: bytes) -> bool:
    try:
        key.public_key().verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _accepts(verifier: CognitoVerifier, token: str) -> bool:
    try:
        verifier.verify(token)
    except InvalidSignatureError:
        return False
    return True


@pytest.mark.parametrize("name", list(_hostile(b"x", 256)))
def test_encoded_message_decided_as_cryptography_decides(
    make_verifier: Callable[..., CognitoVerifier], rsa_key: rsa.RSAPrivateKey, name: str
) -> None:
    signing_input = _signing_input()
    signature = _raw_sign(rsa_key, _hostile(signing_input, 256)[name])
    expected = name == "genuine"
    assert _reference_accepts(rsa_key, signature, signing_input) is expected
    assert _accepts(make_verifier(cache_size=0), _token(signing_input, signature)) is expected


@pytest.fixture(scope="module")
def leading_zero_signature(rsa_key: rsa.RSAPrivateKey) -> tuple[bytes, bytes]:
    """(signing input, signature) where the signature's first octet is zero: about 1 in 256
    signatures, so searched for once, not once per twin."""
    for number in range(20_000):
        signing_input = _signing_input(jti=f"jti-{number}")
        signature = rsa_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        if signature[0] == 0:
            return signing_input, signature
    raise AssertionError("no signature with a leading zero octet in 20,000 tries")


def test_signature_not_k_octets_is_rejected(
    make_verifier: Callable[..., CognitoVerifier],
    rsa_key: rsa.RSAPrivateKey,
    leading_zero_signature: tuple[bytes, bytes],
) -> None:
    # RFC 8017 §8.2.2 step 1: the same integer written in 255 or 257 octets is not a signature.
    # RSAVP1 alone would take either; the length check must refuse them as key.verify does.
    signing_input, signature = leading_zero_signature
    verifier = make_verifier(cache_size=0)
    shorter, longer = signature[1:], b"\x00" + signature
    assert not _reference_accepts(rsa_key, shorter, signing_input)
    assert not _reference_accepts(rsa_key, longer, signing_input)
    with pytest.raises(InvalidSignatureError):
        verifier.verify(_token(signing_input, shorter))
    with pytest.raises(InvalidSignatureError):
        verifier.verify(_token(signing_input, longer))


@pytest.mark.parametrize("value", ["zero", "one", "n - 1", "n", "n + 1", "n + s", "all ones"])
def test_signature_out_of_range_is_rejected(
    make_verifier: Callable[..., CognitoVerifier], rsa_key: rsa.RSAPrivateKey, value: str
) -> None:
    signing_input = _signing_input()
    genuine = rsa_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    modulus = rsa_key.public_key().public_numbers().n
    numbers: dict[str, int] = {
        "zero": 0,
        "one": 1,
        "n - 1": modulus - 1,
        "n": modulus,
        "n + 1": modulus + 1,
        # The genuine signature plus the modulus: the same residue as a genuine signature. When
        # it needs 257 octets, its low 256 are sent (a value that is not the signature either).
        "n + s": (modulus + int.from_bytes(genuine, "big")) % 2**2048,
        "all ones": 2**2048 - 1,
    }
    signature = numbers[value].to_bytes(256, "big")
    assert not _reference_accepts(rsa_key, signature, signing_input)
    with pytest.raises(InvalidSignatureError):
        make_verifier(cache_size=0).verify(_token(signing_input, signature))


@pytest.fixture(scope="module")
def rsa_key_3072() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def test_keys_of_two_sizes_each_take_their_own_length(
    make_verifier: Callable[..., CognitoVerifier], rsa_key: rsa.RSAPrivateKey, rsa_key_3072: rsa.RSAPrivateKey
) -> None:
    # Both twins keep the last key with its length: alternating keys of 256 and 384
    # octets must each be held to their own length, and a signature of one length under the
    # other key's kid refused.
    jwks: dict[str, Any] = {"keys": [rsa_jwk(rsa_key, "k2048"), rsa_jwk(rsa_key_3072, "k3072")]}
    verifier = make_verifier(jwks=jwks, cache_size=0)
    small_input, big_input = _signing_input("k2048"), _signing_input("k3072")
    small = rsa_key.sign(small_input, padding.PKCS1v15(), hashes.SHA256())
    big = rsa_key_3072.sign(big_input, padding.PKCS1v15(), hashes.SHA256())
    assert (len(small), len(big)) == (256, 384)
    for _ in range(2):
        assert verifier.verify(_token(small_input, small)).sub
        assert verifier.verify(_token(big_input, big)).sub
        with pytest.raises(InvalidSignatureError):
            verifier.verify(_token(big_input, small))
        with pytest.raises(InvalidSignatureError):
            verifier.verify(_token(small_input, big))
        # The 3072-bit key's genuine encoding of the 2048-bit token's input, sent under its kid.
        forged = _raw_sign(rsa_key_3072, _hostile(small_input, 384)["genuine"])
        with pytest.raises(InvalidSignatureError):
            verifier.verify(_token(big_input, forged))


# --- the RS256 check of this cryptography build: a fixed vector at construction ---------------


class _Refusing:
    """A key whose backend refuses the call with another exception than the real configuration
    below gives (an OpenSSL policy may answer with any)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def recover_data_from_signature(self, signature: bytes, pad: Any, algorithm: Any) -> bytes:
        raise self.error


class _Wrong:
    """The real key, answering wrongly: other data for a valid signature, or no refusal."""

    def __init__(self, *, other_data: bool = False, accept_changed: bool = False) -> None:
        from fastcognito import jwk

        self.key = rsa.RSAPublicNumbers(65537, jwk._SELF_TEST_MODULUS).public_key()
        self.other_data = other_data
        self.accept_changed = accept_changed

    def recover_data_from_signature(self, signature: bytes, pad: Any, algorithm: Any) -> bytes:
        try:
            data = self.key.recover_data_from_signature(signature, pad, algorithm)
        except InvalidSignature:
            if self.accept_changed:
                return b""
            raise
        return data[:-1] + bytes([data[-1] ^ 1]) if self.other_data else data


RECOVER = "recover_data_from_signature"


def _load_fails() -> Any:
    raise ValueError("RSA keys of 2048 bits are not allowed here")


def test_the_vector_is_a_genuine_rs256_signature_and_this_build_passes() -> None:
    from fastcognito import jwk

    key = jwk._self_test_key()
    assert key.key_size == 2048
    # key.verify, not the check under test, vouches for the vector.
    key.verify(jwk._SELF_TEST_SIGNATURE, jwk._SELF_TEST_MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    changed = jwk._SELF_TEST_SIGNATURE[:-1] + bytes([jwk._SELF_TEST_SIGNATURE[-1] ^ 1])
    with pytest.raises(InvalidSignature):
        key.verify(changed, jwk._SELF_TEST_MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    assert jwk._rs256_vector() is None
    assert jwk.RS256_VECTOR.fault() is None


@pytest.mark.parametrize(
    ("make_key", "reason"),
    [
        (
            lambda: _Refusing(UnsupportedAlgorithm("PKCS1v15 recovery without a digest is not allowed")),
            f"{RECOVER}: UnsupportedAlgorithm: PKCS1v15 recovery without a digest is not allowed",
        ),
        (lambda: _Refusing(InternalError("provider failed", [])), f"{RECOVER}: InternalError: provider failed"),
        (lambda: _Refusing(ValueError("x" * 2000)), f"{RECOVER}: ValueError: " + "x" * 956 + "..."),
        (lambda: _Wrong(other_data=True), "a valid signature recovered other data than the signed DigestInfo"),
        (lambda: _Wrong(accept_changed=True), "a changed signature was not refused"),
        (_load_fails, "loading an RSA public key: ValueError: RSA keys of 2048 bits are not allowed here"),
    ],
    ids=["unsupported", "internal-error", "long-message", "other-data", "accepts-changed", "key-load"],
)
def test_a_build_that_cannot_make_the_check_is_named(
    make_key: Callable[[], Any], reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastcognito import jwk

    monkeypatch.setattr(jwk, "_self_test_key", make_key)
    assert jwk._rs256_vector() == reason


def test_no_verifier_starts_where_the_check_cannot_be_made(
    make_verifier: Callable[..., CognitoVerifier], monkeypatch: pytest.MonkeyPatch
) -> None:
    import cryptography

    from fastcognito import ConfigurationError, jwk

    calls: list[int] = []

    def refusing() -> Any:
        calls.append(1)
        return _Refusing(UnsupportedAlgorithm("PKCS1v15 recovery without a digest is not allowed"))

    monkeypatch.setattr(jwk, "_self_test_key", refusing)
    monkeypatch.setattr(jwk.RS256_VECTOR, "_result", [])
    for _ in range(2):
        with pytest.raises(ConfigurationError) as caught:
            make_verifier()
        message = str(caught.value)
        assert f"cryptography {cryptography.__version__} (" in message and "OpenSSL" in message
        assert f"{RECOVER}: UnsupportedAlgorithm: PKCS1v15 recovery without a digest" in message
        assert "no token could be verified" in message
    assert calls == [1]  # once per process, not once per verifier


def test_the_vector_runs_once_per_process(
    make_verifier: Callable[..., CognitoVerifier], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastcognito import jwk

    calls: list[int] = []
    real = jwk._self_test_key

    def counted() -> Any:
        calls.append(1)
        return real()

    monkeypatch.setattr(jwk, "_self_test_key", counted)
    monkeypatch.setattr(jwk.RS256_VECTOR, "_result", [])
    for _ in range(3):
        assert make_verifier().verify  # builds
    assert calls == [1]


_REAL_REFUSAL = """
import json, sys
from fastcognito import CognitoVerifier, ConfigurationError
import importlib
twin = importlib.import_module(sys.argv[1])
try:
    CognitoVerifier("eu-west-1_AbC123", client_id="c", token_use="access", jwks=json.loads(sys.argv[2]),
                    _impl_module=twin)
except ConfigurationError as err:
    print("ConfigurationError:", err)
else:
    print("built")
"""


def test_an_openssl_that_refuses_rsa_stops_every_verifier(twin: Twin, tmp_path: Path) -> None:
    """No mock: a real OpenSSL configuration that refuses every RSA operation (and SHA-256)."""
    from fastcognito import jwk

    modulus = b64url(jwk._SELF_TEST_MODULUS.to_bytes(256, "big"))
    document = {"keys": [{"kty": "RSA", "kid": KID, "n": modulus, "e": "AQAB"}]}
    done, clean = run_with_and_without(["-c", _REAL_REFUSAL, twin.module.__name__, json.dumps(document)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ConfigurationError: cryptography "), done.stdout
    assert "cannot make the RS256 check fastcognito makes, so no token could be verified" in done.stdout
    assert "recover_data_from_signature: InternalError:" in done.stdout
    assert "OPENSSL_CONF" in done.stdout
    # The same interpreter without that configuration builds the same verifier.
    assert clean.stdout == "built\n", clean.stdout + clean.stderr
