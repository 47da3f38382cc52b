"""Shared fixtures: the twin under test, test keys and tokens, a JWKS server and moto's Cognito.

Everything binds and calls 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import dataclasses
import importlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fastcognito import CognitoVerifier, default_issuer

# moto and boto3 must never look for real credentials or reach AWS.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "NO_PROXY": "127.0.0.1,localhost",
}.items():
    os.environ[_name] = _value
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)

pytest_plugins = ["fastcognito.testing"]

POOL_ID = "eu-west-1_TestPool1"
OTHER_POOL_ID = "eu-west-1_OtherPool2"
ISSUER = default_issuer(POOL_ID)
OTHER_ISSUER = default_issuer(OTHER_POOL_ID)
CLIENT_ID = "testclient0123456789abcdef"
OTHER_CLIENT_ID = "otherclient0123456789abcde"
KID = "test-key-1"
KID2 = "test-key-2"


# --- the twins --------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fastcognito")
    group.addoption(
        "--c-extensions",
        action="store_true",
        default=True,
        dest="c_extensions",
        help="test the compiled twin as well as the pure-Python one (default)",
    )
    group.addoption(
        "--no-c-extensions",
        action="store_false",
        dest="c_extensions",
        help="test only the pure-Python twin (for pure builds)",
    )


@dataclasses.dataclass(frozen=True)
class Twin:
    """One implementation of the hot path; tests never name which."""

    name: str
    module: ModuleType

    def verifier(self, *args: Any, **kwargs: Any) -> CognitoVerifier:
        return CognitoVerifier(*args, _impl_module=self.module, **kwargs)

    def __repr__(self) -> str:
        return self.name


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "twin" in metafunc.fixturenames:
        names = ["c", "py"] if metafunc.config.getoption("c_extensions") else ["py"]
        metafunc.parametrize("twin_name", names, scope="session")


@pytest.fixture(scope="session")
def twin(twin_name: str) -> Twin:
    module_name = "fastcognito._verify" if twin_name == "c" else "fastcognito._verify_py"
    # No fallback: a missing extension fails the c leg loudly instead of testing Python twice.
    return Twin(twin_name, importlib.import_module(module_name))


# --- keys and tokens --------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def rsa_jwk(key: rsa.RSAPrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "kid": kid,
        "alg": "RS256",
        "use": "sig",
        "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
    }
    jwk.update(extra)
    return jwk


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def rsa_key2() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def jwks_document(rsa_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    return {"keys": [rsa_jwk(rsa_key, KID)]}


def encode_segment(part: Mapping[str, Any] | bytes | str) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, bytes):
        return b64url(part)
    return b64url(json.dumps(part, separators=(",", ":")).encode())


def sign_token(
    header: Mapping[str, Any] | bytes | str,
    payload: Mapping[str, Any] | bytes | str,
    key: rsa.RSAPrivateKey,
) -> str:
    """An RS256 token; header and payload may be dicts, raw bytes or ready-made segments."""
    signing_input = f"{encode_segment(header)}.{encode_segment(payload)}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def access_claims(now: float | None = None, **overrides: Any) -> dict[str, Any]:
    now = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        "cognito:groups": ["admins", "editors"],
        "iss": ISSUER,
        "version": 2,
        "client_id": CLIENT_ID,
        "origin_jti": "11111111-2222-4333-8444-555555555555",
        "event_id": "66666666-7777-4888-9999-000000000000",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin openid profile",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": "abcdefab-cdef-4abc-8def-abcdefabcdef",
        "username": "alice",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not _DROP}


def id_claims(now: float | None = None, **overrides: Any) -> dict[str, Any]:
    now = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        "cognito:groups": ["admins"],
        "email_verified": True,
        "iss": ISSUER,
        "cognito:username": "alice",
        "origin_jti": "11111111-2222-4333-8444-555555555555",
        "aud": CLIENT_ID,
        "event_id": "66666666-7777-4888-9999-000000000000",
        "token_use": "id",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": "abcdefab-cdef-4abc-8def-abcdefabcdef",
        "email": "alice@example.com",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not _DROP}


_DROP: Any = object()


@pytest.fixture(scope="session")
def DROP() -> Any:
    """Pass as a claim override to remove that claim."""
    return _DROP


@dataclasses.dataclass
class TokenFactory:
    key: rsa.RSAPrivateKey
    kid: str = KID

    def header(self, **overrides: Any) -> dict[str, Any]:
        header = {"kid": self.kid, "alg": "RS256"}
        header.update(overrides)
        return {name: value for name, value in header.items() if value is not _DROP}

    def access(self, *, header: Mapping[str, Any] | None = None, **claims: Any) -> str:
        return sign_token(header or self.header(), access_claims(**claims), self.key)

    def id(self, *, header: Mapping[str, Any] | None = None, **claims: Any) -> str:
        return sign_token(header or self.header(), id_claims(**claims), self.key)

    def raw(self, header: Any, payload: Any) -> str:
        return sign_token(header, payload, self.key)


@pytest.fixture(scope="session")
def tokens(rsa_key: rsa.RSAPrivateKey) -> TokenFactory:
    return TokenFactory(rsa_key)


@pytest.fixture
def make_verifier(twin: Twin, jwks_document: dict[str, Any]) -> Callable[..., CognitoVerifier]:
    """An offline verifier of the test pool on the twin under test; keywords override."""

    def make(**kwargs: Any) -> CognitoVerifier:
        options: dict[str, Any] = {"client_id": CLIENT_ID, "token_use": "access", "jwks": jwks_document}
        options.update(kwargs)
        pool = options.pop("user_pool_id", POOL_ID)
        return twin.verifier(pool, **options)

    return make


# --- a real JWKS server on 127.0.0.1 ----------------------------------------------------------


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


# --- moto's Cognito on 127.0.0.1 --------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@dataclasses.dataclass
class CognitoPool:
    """A user pool on moto's server, with an app client, groups and users."""

    url: str
    client: Any
    pool_id: str
    client_id: str
    region: str = "eu-west-1"

    @property
    def issuer(self) -> str:
        return default_issuer(self.pool_id)

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/{self.pool_id}/.well-known/jwks.json"

    def add_user(
        self, username: str, password: str = "Passw0rd!x", groups: tuple[str, ...] = (), **attributes: str
    ) -> None:
        self.client.admin_create_user(
            UserPoolId=self.pool_id,
            Username=username,
            TemporaryPassword="Tmp-Passw0rd!1",
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
        )
        self.client.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=password, Permanent=True
        )
        for group in groups:
            try:
                self.client.create_group(UserPoolId=self.pool_id, GroupName=group)
            except self.client.exceptions.GroupExistsException:
                pass
            self.client.admin_add_user_to_group(UserPoolId=self.pool_id, Username=username, GroupName=group)

    def login(self, username: str, password: str = "Passw0rd!x", client_id: str | None = None) -> dict[str, str]:
        """Sign in through initiate_auth; returns AccessToken, IdToken and RefreshToken."""
        result = self.client.initiate_auth(
            ClientId=client_id or self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return result["AuthenticationResult"]  # type: ignore[no-any-return]

    def new_client(self, name: str = "other") -> str:
        return self.client.create_user_pool_client(  # type: ignore[no-any-return]
            UserPoolId=self.pool_id,
            ClientName=name,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]


def create_cognito_pool(moto_url: str, name: str = "fastcognito-tests") -> CognitoPool:
    import boto3

    client = boto3.client("cognito-idp", endpoint_url=moto_url, region_name="eu-west-1")
    pool_id = client.create_user_pool(PoolName=name)["UserPool"]["Id"]
    app_client_id = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return CognitoPool(moto_url, client, pool_id, app_client_id)


@pytest.fixture
def cognito(moto_url: str) -> Iterator[CognitoPool]:
    """A fresh pool with users alice (admins, editors) and bob (no group); reset afterwards."""
    pool = create_cognito_pool(moto_url)
    pool.add_user("alice", groups=("admins", "editors"), email="alice@example.com")
    pool.add_user("bob", email="bob@example.com")
    try:
        yield pool
    finally:
        requests.post(f"{moto_url}/moto-api/reset", timeout=10)


# --- ministack: the managed-login endpoints (tests/ministack_server.py) --------------------------

from ministack_server import cognito_app, ministack  # noqa: E402,F401  (session fixtures)
