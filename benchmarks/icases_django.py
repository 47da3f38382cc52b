"""Callgrind cases for the Django layer: one request through ``WSGIHandler`` (see django_app.py).

Each case runs in its own process, so each configures Django for itself (the cold case with the
claims cache off). Compare a row with its baseline: "DRF, no authentication" for the DRF rows
(the documented stack, CognitoMiddleware and CognitoAuthentication together, included), "plain
view, no CognitoMiddleware" for the plain ones. A DRF case with a token first passes a
correctness check (200 to the token, 401 to none and to a forged one), or gets no figure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_app
from instructions import fixture


def request_case(
    path: str, *, token: bool, middleware: list[str], **fastcognito_overrides: Any
) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        data = fixture()
        django_app.FIRST_PATH = path
        server = django_app.JWKSServer(data["jwks"])
        django_app.configure(server.url, **fastcognito_overrides)
        django_app.set_pyjwt_key(data["jwks"])
        handler = django_app.wsgi_handler(middleware)
        if token and path.startswith("/drf/"):
            django_app.refuse_unless_it_authenticates(handler, path, data["token"], data["distinct"][0])
        send = django_app.requester(handler, path, f"Bearer {data['token']}" if token else None)
        return django_app.warmed(send, server)

    return factory


DEFAULT = django_app.STARTPROJECT_MIDDLEWARE
WITH_MIDDLEWARE = django_app.COGNITO_MIDDLEWARE

CASES: dict[str, Callable[[], Callable[[], object]]] = {
    "DRF, no authentication (baseline)": request_case("/drf/noauth/", token=False, middleware=DEFAULT),
    "DRF, CognitoAuthentication, cached token": request_case("/drf/cognito/", token=True, middleware=DEFAULT),
    "DRF, CognitoAuthentication, cold token": request_case(
        "/drf/cognito/", token=True, middleware=DEFAULT, CACHE_SIZE=0
    ),
    "DRF, PyJWT tutorial class": request_case("/drf/pyjwt/", token=True, middleware=DEFAULT),
    "DRF, CognitoMiddleware + CognitoAuthentication, cached token": request_case(
        "/drf/cognito/", token=True, middleware=WITH_MIDDLEWARE
    ),
    "plain view, no CognitoMiddleware (baseline)": request_case("/plain/", token=False, middleware=DEFAULT),
    "plain view, CognitoMiddleware, cached token": request_case("/plain/", token=True, middleware=WITH_MIDDLEWARE),
}
