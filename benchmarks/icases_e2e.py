"""Callgrind cases for the end-to-end project: one request through the example project's own
stack (``benchmarks/e2e/e2e_settings.py``: its six middleware, ``CognitoMiddleware`` among them,
and the DRF class), as ``make bench-e2e`` serves it, without the HTTP server.

Compare every row with "no-auth view, no token". The padding row sends a header of the token's
size that nothing reads, so what it adds is the cost of carrying a JWT through Django; the rows
after it add what fastcognito does with it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import django_app
from bench_tokens import CLIENT_ID, POOL_ID
from instructions import fixture

E2E = Path(__file__).resolve().parent / "e2e"
PROJECT = E2E.parent.parent / "examples" / "project"


def request_case(path: str, header: str | None) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        data = fixture()
        server = django_app.JWKSServer(data["jwks"])
        sys.path[:0] = [str(where) for where in (PROJECT, E2E) if str(where) not in sys.path]
        os.environ.update(
            DJANGO_SETTINGS_MODULE="e2e_settings",
            E2E_AUTH="fastcognito",
            COGNITO_USER_POOL_ID=POOL_ID,
            COGNITO_CLIENT_ID=CLIENT_ID,
            COGNITO_JWKS_URL=server.url,
            EXAMPLE_DB_PATH=":memory:",
        )
        from django.core.wsgi import get_wsgi_application

        handler = get_wsgi_application()
        send = django_app.requester(handler, path, extra=_headers(header, data["token"]))
        return django_app.warmed(send, server)

    return factory


def _headers(header: str | None, token: str) -> dict[str, str]:
    found = {"HTTP_HOST": "127.0.0.1", "SERVER_NAME": "127.0.0.1"}  # the project's ALLOWED_HOSTS
    if header is not None:
        found[header] = f"Bearer {token}"
    return found


CASES: dict[str, Callable[[], Callable[[], object]]] = {
    "no-auth view, no token (baseline)": request_case("/e2e/noauth/", None),
    "no-auth view, a token-sized header nothing reads": request_case("/e2e/noauth/", "HTTP_X_PADDING_HEADER"),
    "no-auth view, cached token (CognitoMiddleware only)": request_case("/e2e/noauth/", "HTTP_AUTHORIZATION"),
    "DRF view, cached token (CognitoMiddleware + CognitoAuthentication)": request_case(
        "/e2e/auth/", "HTTP_AUTHORIZATION"
    ),
}
