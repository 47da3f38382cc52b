"""Helpers of the whole suite, imported as ``from tests.support import ...``: the test pool's
names, keys and tokens signed here, the twin under test, and moto's user pools.

The fixtures that hand these out live in tests/conftest.py; modules of this package never import a
test module or a ``conftest``. Django's helpers are in ``tests.support.django``, imported only by
the suites that need Django.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fastcognito import CognitoVerifier, default_issuer

POOL_ID = "eu-west-1_TestPool1"
OTHER_POOL_ID = "eu-west-1_OtherPool2"
ISSUER = default_issuer(POOL_ID)
OTHER_ISSUER = default_issuer(OTHER_POOL_ID)
CLIENT_ID = "testclient0123456789abcdef"
OTHER_CLIENT_ID = "otherclient0123456789abcde"
KID = "test-key-1"
KID2 = "test-key-2"

DROP: Any = object()
"""Pass as a claim or setting override to remove that claim or key."""


# --- the twins --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Twin:
    """One implementation of the hot path; tests never name which."""

    name: str
    module: ModuleType

    def verifier(self, *args: Any, **kwargs: Any) -> CognitoVerifier:
        return CognitoVerifier(*args, _impl_module=self.module, **kwargs)

    def __repr__(self) -> str:
        return self.name


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
    return {name: value for name, value in claims.items() if value is not DROP}


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
    return {name: value for name, value in claims.items() if value is not DROP}


@dataclasses.dataclass
class TokenFactory:
    key: rsa.RSAPrivateKey
    kid: str = KID

    def header(self, **overrides: Any) -> dict[str, Any]:
        header = {"kid": self.kid, "alg": "RS256"}
        header.update(overrides)
        return {name: value for name, value in header.items() if value is not DROP}

    def access(self, *, header: Mapping[str, Any] | None = None, **claims: Any) -> str:
        return sign_token(header or self.header(), access_claims(**claims), self.key)

    def id(self, *, header: Mapping[str, Any] | None = None, **claims: Any) -> str:
        return sign_token(header or self.header(), id_claims(**claims), self.key)

    def raw(self, header: Any, payload: Any) -> str:
        return sign_token(header, payload, self.key)


# --- moto's Cognito on 127.0.0.1 --------------------------------------------------------------


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

    def login(
        self, username: str, password: str = "Passw0rd!x", client_id: str | None = None
    ) -> dict[str, str]:
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

