"""``CognitoVerifier`` configuration (DESIGN.md §3) on both twins: every ``ConfigurationError``,
issuer and JWKS URL defaults, several user pools, and offline key sets that never fetch."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from fastcognito import (
    CognitoVerifier,
    ConfigurationError,
    InvalidIssuerError,
    InvalidSignatureError,
    KeyNotFoundError,
    MalformedTokenError,
    UserPool,
    default_issuer,
)
from tests.support import (
    CLIENT_ID,
    ISSUER,
    KID,
    OTHER_ISSUER,
    OTHER_POOL_ID,
    POOL_ID,
    TokenFactory,
    access_claims,
    rsa_jwk,
    sign_token,
)

MakeVerifier = Callable[..., CognitoVerifier]


def closed_port_url(path: str = "/jwks.json") -> str:
    """A URL on 127.0.0.1 where nothing listens: any fetch would fail at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


# --- user pool id and region --------------------------------------------------------------------


@pytest.mark.parametrize(
    "pool_id",
    [
        "",
        "eu-west-1",
        "TestPool1",
        "eu-west-1_",
        "_TestPool1",
        "EU-WEST-1_TestPool1",
        "euwest1_TestPool1",
        "eu-west-1_Test-Pool",
        "eu-west-1_Test Pool",
        "eu-west-1_Test/../Pool",
        "eu-west-1_TestPool1\n",
        " eu-west-1_TestPool1",
        "eu-west-1_TestPool1?x=1",
        "eu-west-1_Tést",
        None,
        123,
        b"eu-west-1_TestPool1",
        [],
    ],
)
def test_malformed_user_pool_id(make_verifier: MakeVerifier, pool_id: Any) -> None:
    with pytest.raises(ConfigurationError):
        make_verifier(user_pool_id=pool_id)


@pytest.mark.parametrize(
    "pool_id", ["eu-west-1_TestPool1", "us-east-1_abcDEF123", "ap-southeast-2_X", "us-gov-west-1_AbC"]
)
def test_wellformed_user_pool_id(make_verifier: MakeVerifier, pool_id: str) -> None:
    verifier = make_verifier(user_pool_id=pool_id)
    region = pool_id.split("_")[0]
    assert list(verifier.pools) == [f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"]


def test_region_mismatch(make_verifier: MakeVerifier) -> None:
    with pytest.raises(ConfigurationError, match="region"):
        make_verifier(region="us-east-1")


def test_region_matching_the_pool_is_accepted(make_verifier: MakeVerifier) -> None:
    assert list(make_verifier(region="eu-west-1").pools) == [ISSUER]


# --- token_use and client_id --------------------------------------------------------------------


@pytest.mark.parametrize(
    "token_use", ["refresh", "Access", "ID", "", " access", 1, True, ["access"], ("id",), {"access"}]
)
def test_bad_token_use(make_verifier: MakeVerifier, token_use: Any) -> None:
    with pytest.raises(ConfigurationError, match="token_use"):
        make_verifier(token_use=token_use)


@pytest.mark.parametrize(
    "client_id",
    ["", [], (), set(), frozenset(), [""], [CLIENT_ID, ""], [1], 123, [None], [[CLIENT_ID]], b"abc"],
)
def test_bad_client_id(make_verifier: MakeVerifier, client_id: Any) -> None:
    with pytest.raises(ConfigurationError, match="client_id"):
        make_verifier(client_id=client_id)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("groups", ""),
        ("groups", []),
        ("groups", [1]),
        ("groups", 5),
        ("scopes", ""),
        ("scopes", ()),
        ("scopes", [None]),
    ],
)
def test_bad_groups_and_scopes(make_verifier: MakeVerifier, option: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=option):
        make_verifier(**{option: value})


# --- URLs: https, or plain http on loopback only ---------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/jwks.json",
        "http://cognito-idp.eu-west-1.amazonaws.com/x",
        "ftp://127.0.0.1/jwks.json",
        "file:///etc/passwd",
        "https://",
        "https:///jwks.json",
        "//example.com/jwks.json",
        "example.com/jwks.json",
        "http://localhost.evil.example/jwks.json",
        "http://127.0.0.1.nip.io/jwks.json",
        "http://10.0.0.1/jwks.json",
        "http://0.0.0.0/jwks.json",
        "",
        5,
    ],
)
@pytest.mark.parametrize("option", ["jwks_url", "issuer"])
def test_non_https_urls_are_refused(make_verifier: MakeVerifier, option: str, url: Any) -> None:
    with pytest.raises(ConfigurationError, match=option):
        make_verifier(**{option: url})


@pytest.mark.parametrize(
    "url",
    [
        "https://keys.example.com/jwks.json",
        "http://127.0.0.1:9229/pool/.well-known/jwks.json",
        "http://localhost:9229/jwks.json",
        "http://[::1]:9229/jwks.json",
        "http://127.0.0.2/jwks.json",
    ],
)
@pytest.mark.parametrize("option", ["jwks_url", "issuer"])
def test_https_or_loopback_urls_are_accepted(make_verifier: MakeVerifier, option: str, url: str) -> None:
    verifier = make_verifier(**{option: url})
    (pool,) = verifier.pools.values()
    assert getattr(pool, option) == url


def test_default_issuer_and_jwks_url(make_verifier: MakeVerifier) -> None:
    (pool,) = make_verifier().pools.values()
    assert pool.issuer == ISSUER == f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"
    assert pool.jwks_url == ISSUER + "/.well-known/jwks.json"
    assert default_issuer(POOL_ID) == ISSUER


def test_issuer_and_jwks_url_are_set_apart(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    # Emulators put the real AWS issuer in `iss` while serving keys elsewhere, and vice versa.
    local_issuer = "http://127.0.0.1:9229/" + POOL_ID
    verifier = make_verifier(issuer=local_issuer)
    (pool,) = verifier.pools.values()
    assert pool.issuer == local_issuer
    assert pool.jwks_url == local_issuer + "/.well-known/jwks.json"
    assert verifier.verify(tokens.access(iss=local_issuer)).issuer == local_issuer
    with pytest.raises(InvalidIssuerError):
        verifier.verify(tokens.access())

    jwks_url = "http://127.0.0.1:9229/keys"
    (pool,) = make_verifier(jwks_url=jwks_url).pools.values()
    assert (pool.issuer, pool.jwks_url) == (ISSUER, jwks_url)


# --- numbers: finite, non-negative, never a bool -----------------------------------------------------


@pytest.mark.parametrize("leeway", [-1, -0.001, float("nan"), float("inf"), "5", None, True, False, [1]])
def test_bad_leeway(make_verifier: MakeVerifier, leeway: Any) -> None:
    with pytest.raises(ConfigurationError, match="leeway"):
        make_verifier(leeway=leeway)


@pytest.mark.parametrize("cache_size", [-1, 1.5, 10.0, "10", None, True, False, float("inf")])
def test_bad_cache_size(make_verifier: MakeVerifier, cache_size: Any) -> None:
    with pytest.raises(ConfigurationError, match="cache_size"):
        make_verifier(cache_size=cache_size)


@pytest.mark.parametrize("max_token_bytes", [0, 10, -1, True, 8192.0, "8192", None])
def test_bad_max_token_bytes(make_verifier: MakeVerifier, max_token_bytes: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_token_bytes"):
        make_verifier(max_token_bytes=max_token_bytes)


@pytest.mark.parametrize("cooldown", [-1, True, False, float("nan"), "10"])
def test_bad_jwks_cooldown(make_verifier: MakeVerifier, cooldown: Any) -> None:
    with pytest.raises(ConfigurationError, match="jwks_cooldown"):
        make_verifier(jwks_cooldown=cooldown)


@pytest.mark.parametrize("option", ["custom_check", "clock"])
def test_callables_must_be_callable(make_verifier: MakeVerifier, option: str) -> None:
    with pytest.raises(ConfigurationError, match=option):
        make_verifier(**{option: 5})


def test_valid_numbers_are_kept(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(leeway=2, cache_size=7)
    assert verifier.leeway == 2.0
    assert verifier.cache_info().maxsize == 7


# --- offline key sets -----------------------------------------------------------------------------------


def _short_key_jwk() -> dict[str, Any]:
    return rsa_jwk(rsa.generate_private_key(public_exponent=65537, key_size=1024), KID)


@pytest.mark.parametrize(
    "jwks",
    [
        {},
        {"keys": []},
        {"keys": "none"},
        {"keys": [None, 1, "x"]},
        {"keys": [{"kty": "EC", "kid": KID, "crv": "P-256", "x": "AA", "y": "AA"}]},
        {"keys": [{"kty": "oct", "kid": KID, "k": "c2VjcmV0"}]},
        pytest.param("short", id="rsa-1024"),
        pytest.param("private", id="private-parameters"),
        pytest.param("enc", id="use-enc"),
        pytest.param("rs512", id="alg-rs512"),
        pytest.param("no-kid", id="no-kid"),
        [],
        "{}",
    ],
)
def test_offline_jwks_without_a_usable_key(
    make_verifier: MakeVerifier, rsa_key: rsa.RSAPrivateKey, jwks: Any
) -> None:
    variants = {
        "short": lambda: {"keys": [_short_key_jwk()]},
        "private": lambda: {"keys": [rsa_jwk(rsa_key, KID, d="AQAB")]},
        "enc": lambda: {"keys": [rsa_jwk(rsa_key, KID, use="enc")]},
        "rs512": lambda: {"keys": [rsa_jwk(rsa_key, KID, alg="RS512")]},
        "no-kid": lambda: {"keys": [{k: v for k, v in rsa_jwk(rsa_key, KID).items() if k != "kid"}]},
    }
    document = variants[jwks]() if isinstance(jwks, str) and jwks in variants else jwks
    with pytest.raises(ConfigurationError):
        make_verifier(jwks=document)


def test_offline_jwks_keeps_the_usable_keys(
    make_verifier: MakeVerifier, rsa_key: rsa.RSAPrivateKey, tokens: TokenFactory
) -> None:
    document = {
        "keys": [{"kty": "EC", "kid": "ec"}, rsa_jwk(rsa_key, "enc-key", use="enc"), rsa_jwk(rsa_key, KID)]
    }
    verifier = make_verifier(jwks=document)
    assert verifier.verify(tokens.access())["sub"]
    with pytest.raises(KeyNotFoundError):
        verifier.verify(tokens.access(header=tokens.header(kid="enc-key")))


def test_offline_jwks_never_fetches(twin: Any, jwks_document: dict[str, Any], tokens: TokenFactory) -> None:
    # Nothing listens on this port: a fetch would raise JWKSError, not KeyNotFoundError.
    verifier = twin.verifier(
        POOL_ID, client_id=CLIENT_ID, token_use="access", jwks=jwks_document, jwks_url=closed_port_url()
    )
    assert verifier.jwks_clients == {}
    verifier.hydrate()
    assert verifier.verify(tokens.access())["sub"]
    for _ in range(3):
        with pytest.raises(KeyNotFoundError):
            verifier.verify(tokens.access(header=tokens.header(kid="rotated")))


# --- several user pools ------------------------------------------------------------------------------------


SHARED_KID = "shared-kid"


@pytest.fixture
def two_pools(twin: Any, rsa_key: rsa.RSAPrivateKey, rsa_key2: rsa.RSAPrivateKey) -> CognitoVerifier:
    # Both pools publish a key under the same kid, so only the issuer tells them apart.
    return twin.verifier(
        [
            UserPool(POOL_ID, jwks={"keys": [rsa_jwk(rsa_key, SHARED_KID)]}, jwks_url=closed_port_url()),
            UserPool(
                OTHER_POOL_ID, jwks={"keys": [rsa_jwk(rsa_key2, SHARED_KID)]}, jwks_url=closed_port_url()
            ),
        ],
        client_id=CLIENT_ID,
        token_use="access",
    )


def _token(key: rsa.RSAPrivateKey, issuer: str, kid: str = SHARED_KID, **claims: Any) -> str:
    return sign_token({"kid": kid, "alg": "RS256"}, access_claims(iss=issuer, **claims), key)


def test_several_pools_choose_by_iss(
    two_pools: CognitoVerifier, rsa_key: rsa.RSAPrivateKey, rsa_key2: rsa.RSAPrivateKey
) -> None:
    assert list(two_pools.pools) == [ISSUER, OTHER_ISSUER]
    assert two_pools.verify(_token(rsa_key, ISSUER)).issuer == ISSUER
    assert two_pools.verify(_token(rsa_key2, OTHER_ISSUER)).issuer == OTHER_ISSUER


def test_token_claiming_pool_b_signed_with_pool_a_key(
    two_pools: CognitoVerifier, rsa_key: rsa.RSAPrivateKey, rsa_key2: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(InvalidSignatureError):
        two_pools.verify(_token(rsa_key, OTHER_ISSUER))
    with pytest.raises(InvalidSignatureError):
        two_pools.verify(_token(rsa_key2, ISSUER))


def test_several_pools_unknown_kid_in_the_named_pool(
    two_pools: CognitoVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(KeyNotFoundError):
        two_pools.verify(_token(rsa_key, OTHER_ISSUER, kid=KID))


@pytest.mark.parametrize(
    "issuer",
    [default_issuer("eu-west-1_ThirdPool3"), ISSUER + "/", "", None],
)
def test_several_pools_untrusted_issuer(
    two_pools: CognitoVerifier, rsa_key: rsa.RSAPrivateKey, issuer: Any
) -> None:
    with pytest.raises(InvalidIssuerError) as info:
        two_pools.verify(_token(rsa_key, issuer))
    assert info.value.claim == "iss"


def test_several_pools_unreadable_payload(two_pools: CognitoVerifier, rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(MalformedTokenError):
        two_pools.verify(sign_token({"kid": SHARED_KID, "alg": "RS256"}, b"not json", rsa_key))
    with pytest.raises(MalformedTokenError):
        two_pools.verify(sign_token({"kid": SHARED_KID, "alg": "RS256"}, b"[]", rsa_key))


def test_several_pools_as_plain_ids(twin: Any) -> None:
    verifier = twin.verifier([POOL_ID, OTHER_POOL_ID], client_id=CLIENT_ID, token_use="id")
    assert list(verifier.pools) == [ISSUER, OTHER_ISSUER]
    assert set(verifier.jwks_clients) == {ISSUER, OTHER_ISSUER}


def test_several_pools_sharing_an_issuer(twin: Any, jwks_document: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="issuer"):
        twin.verifier(
            [
                UserPool(POOL_ID, jwks=jwks_document),
                UserPool(OTHER_POOL_ID, issuer=ISSUER, jwks=jwks_document),
            ],
            client_id=CLIENT_ID,
            token_use="access",
        )
    with pytest.raises(ConfigurationError):
        twin.verifier([POOL_ID, POOL_ID], client_id=CLIENT_ID, token_use="access")


@pytest.mark.parametrize("option", ["issuer", "jwks_url", "jwks"])
def test_several_pools_refuse_shared_settings(twin: Any, jwks_document: dict[str, Any], option: str) -> None:
    value = {"issuer": ISSUER, "jwks_url": "https://keys.example.com/jwks.json", "jwks": jwks_document}[
        option
    ]
    with pytest.raises(ConfigurationError):
        twin.verifier([POOL_ID, OTHER_POOL_ID], client_id=CLIENT_ID, token_use="access", **{option: value})


@pytest.mark.parametrize("pools", [[], (), [POOL_ID, 5], [POOL_ID, "bad"], [UserPool("bad")], {POOL_ID: 1}])
def test_bad_pool_lists(twin: Any, pools: Any) -> None:
    with pytest.raises(ConfigurationError):
        twin.verifier(pools, client_id=CLIENT_ID, token_use="access")


def test_pool_region_mismatch_in_user_pool(twin: Any) -> None:
    with pytest.raises(ConfigurationError, match="region"):
        twin.verifier([UserPool(POOL_ID, region="us-east-1")], client_id=CLIENT_ID, token_use="access")
