"""The Django set-up and fixtures of every suite that needs Django (tests/django, tests/drf,
tests/security).

Each of those directories' ``conftest.py`` re-exports this module, so Django is configured only
when one of them is collected and the rest of the suite never loads it. ``pytest_configure`` runs
when pytest registers such a conftest (at start-up for ``pytest tests/django``, during collection
for ``pytest tests``); it configures Django from ``tests.support.django.settings`` once and sets it
up as pytest-django would with DJANGO_SETTINGS_MODULE.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import DROP
from tests.support.django.signin import CognitoStandIn
from tests.support.postgres_server import PostgresServer

# What a conftest.py gets from ``from tests.support.django.plugin import *``: the hook and the fixtures.
__all__ = [
    "api_client",
    "closed_port_url",
    "cognito_stand_in",
    "csrf_client",
    "django_db_modify_db_settings",
    "fastcognito_config",
    "jwks_url",
    "moto_config",
    "pytest_configure",
]

JWKS_PATH = "/pool/.well-known/jwks.json"
_POSTGRES = PostgresServer()


def pytest_configure(config: pytest.Config) -> None:
    from django.apps import apps
    from django.conf import settings

    if not settings.configured:
        from tests.support.django import settings as test_settings

        values = {name: getattr(test_settings, name) for name in dir(test_settings) if name.isupper()}
        # The replica's tests also run on a real PostgreSQL (alias "pg"), started on first use by
        # the session fixture below; its socket directory is chosen now, before Django reads it.
        values["DATABASES"] = {**values["DATABASES"], "pg": _POSTGRES.settings()}
        settings.configure(**values)
    # pytest-django's own pytest_configure may have run already (it does when this conftest is
    # found during collection), so finish its set-up here: the app registry, and the database
    # blocker that makes a test without the ``db`` fixture fail on any query.
    from pytest_django.plugin import _setup_django

    if not apps.ready:
        _setup_django(config)


# --- FASTCOGNITO pointed at real local servers -------------------------------------------------


@pytest.fixture
def jwks_url(httpserver: Any, jwks_document: dict[str, Any]) -> str:
    """The test keys served by a real HTTP server on 127.0.0.1."""
    httpserver.expect_request(JWKS_PATH).respond_with_json(jwks_document)
    return str(httpserver.url_for(JWKS_PATH))


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: the JWKS is down."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/jwks.json"


@pytest.fixture
def fastcognito_config(jwks_url: str) -> Iterator[Callable[..., dict[str, Any]]]:
    """Applies FASTCOGNITO (the settings module's, with JWKS_URL on the local server) through
    override_settings; call it again with keyword overrides (``DROP`` removes a key)."""
    from django.conf import settings
    from django.test import override_settings

    active: list[override_settings] = []

    def configure(**changes: Any) -> dict[str, Any]:
        config = {**settings.FASTCOGNITO, "JWKS_URL": jwks_url, **changes}
        config = {key: value for key, value in config.items() if value is not DROP}
        override = override_settings(FASTCOGNITO=config)
        override.enable()
        active.append(override)
        return config

    configure()
    try:
        yield configure
    finally:
        for override in reversed(active):
            override.disable()


@pytest.fixture
def moto_config(cognito: Any) -> Iterator[Any]:
    """FASTCOGNITO for moto's pool: the real AWS issuer (the default), the JWKS on moto's URL."""
    from django.test import override_settings

    config = {
        "USER_POOL_ID": cognito.pool_id,
        "CLIENT_ID": cognito.client_id,
        "TOKEN_USE": "access",
        "JWKS_URL": cognito.jwks_url,
        "SUPERUSER_GROUPS": ["admins"],
        "STAFF_GROUPS": ["editors"],
    }
    with override_settings(FASTCOGNITO=config):
        yield cognito


@pytest.fixture
def cognito_stand_in(rsa_key: Any) -> Iterator[Any]:
    """A Cognito stand-in on 127.0.0.1 (``tests.support.django.signin.CognitoStandIn``): the sign-in
    endpoints with genuine tokens signed by the test key, and a count of every call."""
    with CognitoStandIn(rsa_key) as stand_in:
        yield stand_in


@pytest.fixture
def api_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def csrf_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient(enforce_csrf_checks=True)


# --- a real PostgreSQL (tests/support/postgres_server.py) -----------------------------------------


def _uses_postgres(session: pytest.Session) -> bool:
    for item in session.items:
        for marker in item.iter_markers("django_db"):
            if "pg" in (marker.kwargs.get("databases") or ()):
                return True
    return False


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    request: pytest.FixtureRequest, django_db_modify_db_settings_parallel_suffix: None
) -> Iterator[None]:
    """pytest-django's hook before it creates the test databases: PostgreSQL must be up by then,
    when a collected test uses it (pytest-django creates only the databases tests ask for)."""
    if not _uses_postgres(request.session):
        yield
        return
    _POSTGRES.acquire()
    try:
        yield
    finally:
        # After pytest-django's teardown, which drops the test database first.
        _POSTGRES.release()
