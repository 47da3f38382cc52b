"""Fixtures of the whole suite: the twin under test, test keys and tokens, a JWKS server and moto's
Cognito; ministack's fixtures come from ``tests.support.ministack_server``. The helpers they hand
out are plain code in ``tests.support``, which tests import as any module.

``tests`` is a package, imported with ``--import-mode=append`` (pyproject.toml): the checkout's
root goes last on ``sys.path``, so ``fastcognito`` is still the installed, compiled package.
Everything binds and calls 127.0.0.1 only.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from fastcognito import CognitoVerifier
from tests.support import (
    CLIENT_ID,
    DROP,
    KID,
    POOL_ID,
    CognitoPool,
    TokenFactory,
    Twin,
    create_cognito_pool,
    rsa_jwk,
)

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

pytest_plugins = ["fastcognito.testing", "tests.support.ministack_server"]


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


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def rsa_key2() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def jwks_document(rsa_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    return {"keys": [rsa_jwk(rsa_key, KID)]}


@pytest.fixture(scope="session", name="DROP")
def drop() -> Any:
    """Pass as a claim override to remove that claim (``tests.support.DROP``)."""
    return DROP


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

