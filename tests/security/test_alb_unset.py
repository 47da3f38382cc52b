"""Attacker review of the cookie paths, finding 3: the ALB sources with ``FASTCOGNITO["ALB"]``
unset.

No check reported it, and any request carrying ``x-amzn-oidc-data`` (every signed-in request
behind a real ALB, or anyone's forged header) got a 500: a traceback in the logs, and an error
report in which Django does not mask ``HTTP_X_AMZN_OIDC_DATA``, so the user's ALB token went into
error mails. Now ``manage.py check`` reports E135 (``tests/django/test_checks.py``) and such a
request is a typed 503 ``configuration``, on DRF and plain views, sync and async.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.test import AsyncClient, Client, override_settings

from tests.support.alb_tokens import AlbTokens

URLCONF = "tests.support.django.security_alb_urls"
ALB_MIDDLEWARE = [
    "fastcognito.django.alb.AlbMiddleware" if name == "fastcognito.django.CognitoMiddleware" else name
    for name in settings.MIDDLEWARE
]


@pytest.fixture
def alb_unset() -> Iterator[None]:
    assert "ALB" not in settings.FASTCOGNITO
    with override_settings(ROOT_URLCONF=URLCONF, MIDDLEWARE=ALB_MIDDLEWARE):
        yield


@pytest.mark.usefixtures("alb_unset")
@pytest.mark.parametrize("url", ["/drf/alb-transfer/", "/plain/transfer/", "/plain/async-transfer/"])
def test_a_request_with_the_alb_header_gets_503_not_500(url: str, caplog: pytest.LogCaptureFixture) -> None:
    token = AlbTokens(ec.generate_private_key(ec.SECP256R1())).token()
    caplog.set_level(logging.DEBUG)
    for client in (Client(raise_request_exception=False), AsyncClient(raise_request_exception=False)):
        if isinstance(client, AsyncClient):
            answer: Any = async_to_sync(client.get)(url, headers={"x-amzn-oidc-data": token})
        else:
            answer = client.get(url, headers={"x-amzn-oidc-data": token})
        assert answer.status_code == 503, answer.content
        assert answer.json()["code"] == "configuration"
        assert "WWW-Authenticate" not in answer
    # The reason is logged for the operator, the token nowhere.
    assert any("FASTCOGNITO['ALB'] is not set" in record.getMessage() for record in caplog.records)
    assert not any(token in record.getMessage() or record.exc_info for record in caplog.records)


@pytest.mark.usefixtures("alb_unset")
def test_a_request_without_the_header_is_unaffected() -> None:
    assert Client().get("/plain/transfer/").status_code == 401
    assert Client().get("/drf/alb-transfer/").status_code == 401
