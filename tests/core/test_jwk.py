"""Keys: one JWK to an RSA public key (RFC 7517, RFC 7518 §6.3), and KeySet.from_jwks."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from fastcognito import JWKSError, KeyNotFoundError, KeySet, load_rsa_public_key
from tests.support import KID, KID2, b64url, rsa_jwk


@pytest.fixture(scope="module")
def rsa_1024() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def ec_jwk(kid: str) -> dict[str, Any]:
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return {
        "kty": "EC",
        "kid": kid,
        "crv": "P-256",
        "alg": "ES256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def private_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    numbers = key.private_numbers()

    def uint(value: int) -> str:
        return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    return rsa_jwk(
        key,
        kid,
        d=uint(numbers.d),
        p=uint(numbers.p),
        q=uint(numbers.q),
        dp=uint(numbers.dmp1),
        dq=uint(numbers.dmq1),
        qi=uint(numbers.iqmp),
    )


def test_loads_an_rsa_signing_key(rsa_key: rsa.RSAPrivateKey) -> None:
    key = load_rsa_public_key(rsa_jwk(rsa_key, KID))
    assert key.public_numbers() == rsa_key.public_key().public_numbers()


def test_use_and_alg_may_be_absent(rsa_key: rsa.RSAPrivateKey) -> None:
    jwk = rsa_jwk(rsa_key, KID)
    del jwk["use"], jwk["alg"]
    assert load_rsa_public_key(jwk).public_numbers() == rsa_key.public_key().public_numbers()


def test_a_leading_zero_octet_in_the_modulus_is_tolerated(rsa_key: rsa.RSAPrivateKey) -> None:
    n = rsa_key.public_key().public_numbers().n
    jwk = rsa_jwk(rsa_key, KID, n=b64url(b"\x00" + n.to_bytes(256, "big")))
    assert load_rsa_public_key(jwk).public_numbers().n == n


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"kty": "EC"}, "not an RSA key"),
        ({"kty": None}, "not an RSA key"),
        ({"use": "enc"}, "not a signing key"),
        ({"use": ["sig"]}, "not a signing key"),
        ({"alg": "RS512"}, "not for RS256"),
        ({"alg": "none"}, "not for RS256"),
        ({"alg": ["RS256"]}, "not for RS256"),  # unhashable: once a TypeError, now a skip
        ({"alg": {"RS256": 1}}, "not for RS256"),
        ({"key_ops": ["encrypt"]}, "may not verify"),
        ({"key_ops": "verify"}, "may not verify"),
        ({"n": 12345}, "'n' is missing or not a string"),
        ({"n": ""}, "'n' is missing or not a string"),
        ({"n": "AQAB=="}, "'n' is not base64url"),
        ({"e": "AQ+B"}, "'e' is not base64url"),
        ({"e": "Ag"}, "exponent"),  # 2: even
        ({"e": "AQ"}, "exponent"),  # 1
    ],
)
def test_unusable_keys_are_refused(rsa_key: rsa.RSAPrivateKey, change: dict[str, Any], reason: str) -> None:
    jwk = rsa_jwk(rsa_key, KID)
    jwk.update(change)
    with pytest.raises(JWKSError, match=reason):
        load_rsa_public_key(jwk)


def test_missing_modulus_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    jwk = rsa_jwk(rsa_key, KID)
    del jwk["n"]
    with pytest.raises(JWKSError, match="'n' is missing"):
        load_rsa_public_key(jwk)


def test_keys_under_2048_bits_are_refused(rsa_1024: rsa.RSAPrivateKey) -> None:
    with pytest.raises(JWKSError, match="shorter than 2048 bits"):
        load_rsa_public_key(rsa_jwk(rsa_1024, KID))


def test_published_private_keys_are_refused(rsa_key2: rsa.RSAPrivateKey) -> None:
    with pytest.raises(JWKSError, match="private parameters"):
        load_rsa_public_key(private_jwk(rsa_key2, KID))


def test_an_even_modulus_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    n = rsa_key.public_key().public_numbers().n + 1
    with pytest.raises(JWKSError, match="modulus is not valid"):
        load_rsa_public_key(rsa_jwk(rsa_key, KID, n=b64url(n.to_bytes(256, "big"))))


def test_a_key_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(JWKSError, match="not a JSON object"):
        load_rsa_public_key(["RSA"])  # type: ignore[arg-type]


# --- KeySet.from_jwks ----------------------------------------------------------------------------


def test_keyset_maps_kids_to_keys(rsa_key: rsa.RSAPrivateKey, rsa_key2: rsa.RSAPrivateKey) -> None:
    keyset = KeySet.from_jwks({"keys": [rsa_jwk(rsa_key, KID), rsa_jwk(rsa_key2, KID2)]})
    assert sorted(keyset) == [KID, KID2]
    assert len(keyset) == 2
    assert keyset.get_key(KID2).public_numbers() == rsa_key2.public_key().public_numbers()
    assert repr(keyset) == f"KeySet(kids={[KID, KID2]!r})"
    with pytest.raises(KeyNotFoundError):
        keyset.get_key("nope")


def test_unusable_keys_are_skipped_with_a_warning(
    rsa_key: rsa.RSAPrivateKey,
    rsa_key2: rsa.RSAPrivateKey,
    rsa_1024: rsa.RSAPrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    document = {
        "keys": [
            ec_jwk("ec"),
            {"kty": "oct", "kid": "oct", "k": b64url(b"secret-secret-secret")},
            rsa_jwk(rsa_1024, "short"),
            rsa_jwk(rsa_key2, "enc", use="enc"),
            rsa_jwk(rsa_key2, "rs512", alg="RS512"),
            rsa_jwk(rsa_key2, "listalg", alg=["RS256"]),
            private_jwk(rsa_key2, "private"),
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            rsa_jwk(rsa_key2, ""),
            "not an object",
            rsa_jwk(rsa_key, KID),
            rsa_jwk(rsa_key2, KID),  # the same kid again: the first one stays
        ]
    }
    with caplog.at_level(logging.WARNING, logger="fastcognito.jwk"):
        keyset = KeySet.from_jwks(document)
    assert list(keyset) == [KID]
    assert keyset[KID].public_numbers() == rsa_key.public_key().public_numbers()
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 11
    for kid in ("ec", "oct", "short", "enc", "rs512", "listalg", "private"):
        assert any(f"skipping key {kid!r} of a JWKS given offline" in message for message in messages), kid
    assert any("is used twice" in message for message in messages)
    assert all(record.levelno == logging.WARNING for record in caplog.records)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "not a JSON object"),
        ({}, "no 'keys' list"),
        ({"keys": {}}, "no 'keys' list"),
        ({"keys": []}, "no usable RS256 key"),
        ({"keys": [{"kty": "oct", "kid": "a", "k": "AAAA"}]}, "no usable RS256 key"),
    ],
)
def test_documents_without_usable_keys_are_refused(document: object, reason: str) -> None:
    with pytest.raises(JWKSError, match=reason):
        KeySet.from_jwks(document)


def test_too_many_keys_are_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(JWKSError, match="more than 64 keys"):
        KeySet.from_jwks({"keys": [rsa_jwk(rsa_key, f"k{i}") for i in range(65)]})


def test_a_long_kid_is_shortened_in_the_log(rsa_1024: rsa.RSAPrivateKey, rsa_key: rsa.RSAPrivateKey,
                                            caplog: pytest.LogCaptureFixture) -> None:
    long_kid = "k" * 5000
    with caplog.at_level(logging.WARNING, logger="fastcognito.jwk"):
        KeySet.from_jwks({"keys": [rsa_jwk(rsa_1024, long_kid), rsa_jwk(rsa_key, KID)]})
    assert len(caplog.records) == 1
    assert long_kid not in caplog.text
    assert "k" * 80 in caplog.text
