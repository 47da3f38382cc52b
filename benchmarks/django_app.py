"""A minimal Django project for the Django-layer benchmarks, served in-process by ``WSGIHandler``.

Both the pytest-benchmark group (``test_bench_django.py``) and the callgrind cases
(``icases_django.py``) use it, so they measure the same requests. The middleware stack is
``django-admin startproject``'s, as a new project has it; requests go through Django's own
``WSGIHandler`` (no test client), with a fresh environ per request, as a WSGI server calls it.

Views (all answer the same small JSON body):

* ``/drf/noauth/``: DRF ``APIView`` with no authentication and ``AllowAny`` (the baseline);
* ``/drf/cognito/``: ``CognitoAuthentication`` + ``IsAuthenticated``;
* ``/drf/pyjwt/``: a PyJWT class written as the tutorials write it, + ``IsAuthenticated``;
* ``/plain/``: a plain Django view that reads ``request.user.is_authenticated``.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Mapping
from typing import Any

from bench_tokens import JWKSServer

POOL_ID = "eu-west-1_BenchPool1"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"
CLIENT_ID = "benchclient0123456789abcde"

STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
COGNITO_MIDDLEWARE = [*STARTPROJECT_MIDDLEWARE, "fastcognito.django.CognitoMiddleware"]


def configure(jwks_url: str, **fastcognito_overrides: Any) -> None:
    """Configure Django once per process for these benchmarks; the keys come from ``jwks_url``
    (a local server, see ``serve_jwks``)."""
    import django
    from django.conf import settings

    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="fastcognito-benchmarks-only-not-a-secret",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.messages",
            "rest_framework",
            "fastcognito.django",
        ],
        MIDDLEWARE=STARTPROJECT_MIDDLEWARE,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        FASTCOGNITO={
            "USER_POOL_ID": POOL_ID,
            "CLIENT_ID": CLIENT_ID,
            "TOKEN_USE": "access",
            "JWKS_URL": jwks_url,
            **fastcognito_overrides,
        },
        LOGGING_CONFIG=None,
    )
    django.setup()


# --- views -------------------------------------------------------------------------------------


def _views() -> tuple[Any, ...]:
    import jwt
    from django.http import HttpRequest, JsonResponse
    from rest_framework.authentication import BaseAuthentication, get_authorization_header
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.permissions import AllowAny, IsAuthenticated
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from fastcognito.drf import CognitoAuthentication

    body = {"ok": True}

    class NoAuth(APIView):
        # The same view without authentication: no authenticator, and DRF's default permission
        # in place of IsAuthenticated (one permission check in both).
        authentication_classes: list[Any] = []
        permission_classes = [AllowAny]

        def get(self, request: Request) -> Response:
            return Response(body)

    class Cognito(APIView):
        authentication_classes = [CognitoAuthentication]
        permission_classes = [IsAuthenticated]

        def get(self, request: Request) -> Response:
            return Response(body)

    class TokenUser:
        is_authenticated = True
        is_anonymous = False

        def __init__(self, payload: dict[str, Any]) -> None:
            self.payload = payload
            self.username = payload.get("username")
            self.pk = payload.get("sub")

    class PyJWTAuthentication(BaseAuthentication):
        """What a tutorial writes: split the header, jwt.decode with the pool's key, check the
        client. The key is loaded once (tutorials cache the JWKS with PyJWKClient)."""

        key: Any = None

        def authenticate(self, request: Request) -> tuple[Any, Any] | None:
            auth = get_authorization_header(request).split()
            if not auth or auth[0].lower() != b"bearer":
                return None
            if len(auth) != 2:
                raise AuthenticationFailed("Invalid token header")
            try:
                payload = jwt.decode(
                    auth[1].decode(),
                    self.key,
                    algorithms=["RS256"],
                    issuer=ISSUER,
                    options={"require": ["exp", "iat", "iss"], "verify_aud": False},
                )
            except jwt.PyJWTError as err:
                raise AuthenticationFailed("Invalid token") from err
            if payload.get("client_id") != CLIENT_ID or payload.get("token_use") != "access":
                raise AuthenticationFailed("Invalid token")
            return TokenUser(payload), payload

        def authenticate_header(self, request: Request) -> str:
            return "Bearer"

    class PyJWTView(APIView):
        authentication_classes = [PyJWTAuthentication]
        permission_classes = [IsAuthenticated]

        def get(self, request: Request) -> Response:
            return Response(body)

    def plain(request: HttpRequest) -> JsonResponse:
        return JsonResponse({"ok": request.user.is_authenticated})

    return NoAuth, Cognito, PyJWTView, PyJWTAuthentication, plain


# The callgrind cases put their own URL first, so that no case pays for trying the patterns of
# others (one regex each); the pytest group keeps this order, the baseline first.
FIRST_PATH: str | None = None


def _urlpatterns() -> list[Any]:
    from django.urls import path

    no_auth, cognito, pyjwt_view, _, plain = _views()
    patterns = [
        path("drf/noauth/", no_auth.as_view()),
        path("drf/cognito/", cognito.as_view()),
        path("drf/pyjwt/", pyjwt_view.as_view()),
        path("plain/", plain),
    ]
    patterns.sort(key=lambda pattern: f"/{pattern.pattern}" != FIRST_PATH)
    return patterns


def __getattr__(name: str) -> Any:
    # The URL conf is built when Django first resolves a URL, after configure().
    if name == "urlpatterns":
        module = sys.modules[__name__]
        patterns = _urlpatterns()
        module.urlpatterns = patterns  # type: ignore[attr-defined]
        return patterns
    raise AttributeError(name)


def set_pyjwt_key(jwks: Mapping[str, Any]) -> None:
    """Give the tutorial-style PyJWT class its key (tutorials load the JWKS once, at start-up)."""
    from django.urls import resolve

    from fastcognito.jwk import load_rsa_public_key

    authentication_class = resolve("/drf/pyjwt/").func.cls.authentication_classes[0]
    authentication_class.key = load_rsa_public_key(jwks["keys"][0])


# --- requests ----------------------------------------------------------------------------------


def wsgi_handler(middleware: list[str]) -> Any:
    """A ``WSGIHandler`` whose middleware chain is ``middleware`` (read once, at construction)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    with override_settings(MIDDLEWARE=middleware):
        return WSGIHandler()


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def requester(
    handler: Any, path: str, authorization: str | None = None, extra: Mapping[str, str] | None = None
) -> Callable[[], int]:
    """A zero-argument callable that sends one GET to ``path`` and returns the status code.
    ``extra``: more WSGI environ entries, such as ``{"HTTP_X_NAME": value}``."""
    base = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_ACCEPT": "application/json",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if authorization is not None:
        base["HTTP_AUTHORIZATION"] = authorization
    base.update(extra or {})
    BytesIO = io.BytesIO

    def request() -> int:
        environ = dict(base)
        environ["wsgi.input"] = BytesIO()
        response = handler(environ, _start_response)
        response.close()
        return int(response.status_code)

    return request


def warmed(send: Callable[[], int], server: JWKSServer) -> Callable[[], int]:
    """``send`` once three requests have answered 200 (keys fetched, token cached, lazy imports
    done), with ``server`` stopped: the verifier keeps the keys it fetched."""
    for _ in range(3):
        status = send()
        assert status == 200, status
    server.stop()
    return send


def refuse_unless_it_authenticates(handler: Any, path: str, token: str, other_token: str) -> None:
    """The correctness pass of a case that measures an authenticated request: ``path`` must
    answer 200 to ``token``, and 401 to no token and to ``token`` carrying ``other_token``'s
    signature. Otherwise ``SystemExit``: the case gets no figure, as a peer that fails its own
    pass gets none (peers.py)."""
    forged = token.rsplit(".", 1)[0] + "." + other_token.rsplit(".", 1)[1]
    answers = {
        "the token": (requester(handler, path, f"Bearer {token}")(), 200),
        "no token": (requester(handler, path)(), 401),
        "a forged signature": (requester(handler, path, f"Bearer {forged}")(), 401),
    }
    wrong = {name: status for name, (status, expected) in answers.items() if status != expected}
    if wrong:
        raise SystemExit(f"{path} answers {wrong}: no figure for a view that does not authenticate")


def requesters_with_tokens(handler: Any, path: str, tokens: list[str]) -> Callable[[], int]:
    """Like ``requester``, cycling through ``tokens`` (one per request)."""
    senders = [requester(handler, path, f"Bearer {token}") for token in tokens]
    state = [0]
    count = len(senders)

    def request() -> int:
        index = state[0]
        state[0] = (index + 1) % count
        return senders[index]()

    return request


def response_body(handler: Any, path: str, authorization: str | None = None) -> bytes:
    """One request, for checking what the measured requests answer."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    if authorization is not None:
        environ["HTTP_AUTHORIZATION"] = authorization
    response = handler(environ, _start_response)
    try:
        return b"".join(response)
    finally:
        response.close()
