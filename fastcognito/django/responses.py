"""Every error answer of the Django layer, built here and nowhere else.

The body is always ``{"detail", "code"}``: ``code`` is the error's stable code, ``detail`` its
translatable message from ``messages.py``, never the exception's own text (that one is for logs,
and may name claims or settings). DRF answers through its own exception handler
(``fastcognito.drf``), with the same bodies.

* ``error_response``: a request authenticated by a token (``cognito_login_required``, the token
  exchange): 401 with ``WWW-Authenticate``, or 503 (with ``Retry-After`` when the keys or the
  denylist cannot be had, without when a source is not configured);
* ``refused_response``: 403, a genuine credential whose user may not do this (the exchange);
* ``signin_error_response``: the sign-in views, with each error's own status, as JSON or, for a
  browser navigation, as a small HTML page;
* ``signed_out_unrecorded_response``: a sign-out whose revocation could not be stored.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from ..exceptions import (
    ConfigurationError,
    FastCognitoError,
    JWKSError,
    SignInError,
    SignInThrottledError,
    TokenError,
)
from .messages import PAGE_TEXTS, message_for
from .tokens import build_challenge, request_policy

__all__ = [
    "error_body",
    "error_response",
    "refused_response",
    "signed_out_unrecorded_response",
    "signin_error_response",
    "status_for",
    "wants_json",
]

NOT_AUTHENTICATED = "not_authenticated"


def error_body(error: FastCognitoError | None) -> dict[str, str]:
    """``{"detail", "code"}`` of ``error`` (``None``: no credentials came, ``not_authenticated``)."""
    if error is None:
        return {"detail": str(message_for(NOT_AUTHENTICATED)), "code": NOT_AUTHENTICATED}
    if isinstance(error, ConfigurationError):
        code, fallback = error.code, "configuration"
    elif isinstance(error, SignInError):
        code, fallback = error.code, "sign_in_failed"
    else:
        code, fallback = error.code, "invalid_token"
    return {"detail": str(message_for(code, fallback)), "code": code}


def status_for(error: FastCognitoError) -> int:
    """The HTTP status of ``error``: a sign-in error's own, 401 for a token, 503 otherwise (the
    keys, the denylist, or settings that ``manage.py check`` reports: never a 500)."""
    if isinstance(error, SignInError):
        return error.status
    if isinstance(error, TokenError):
        return 401
    return 503


def error_response(error: FastCognitoError | None, realm: str | None = None) -> JsonResponse:
    """The 401 (or 503) answer for ``error``: ``{"detail", "code"}`` and ``WWW-Authenticate``.

    ``error=None`` means no credentials at all: 401 with ``code`` ``not_authenticated`` and no
    error attribute in the challenge (RFC 6750 §3.1), exactly as DRF answers the same request.
    A ``JWKSError`` (the keys, or the denylist, cannot answer) is a 503 with ``Retry-After``; a
    ``ConfigurationError`` (a source whose settings are missing) a 503 with ``code``
    ``configuration``.
    """
    policy = request_policy()
    if isinstance(error, JWKSError):
        response = JsonResponse(error_body(error), status=503)
        response["Retry-After"] = str(policy.retry_after)
        return response
    if error is not None and not isinstance(error, TokenError):
        # Settings that manage.py check reports (a ConfigurationError): 503, never a 500.
        return JsonResponse(error_body(error), status=503)
    response = JsonResponse(error_body(error), status=401)
    response["WWW-Authenticate"] = (
        policy.challenge_for(error)
        if realm is None
        else build_challenge(policy.scheme, realm, invalid_token=isinstance(error, TokenError))
    )
    return response


def refused_response(error: FastCognitoError) -> JsonResponse:
    """403 ``{"detail", "code"}``: the credential is genuine, but its user may not do this."""
    return JsonResponse(error_body(error), status=403)


def wants_json(request: HttpRequest) -> bool:
    """Whether the client asked for JSON rather than a page (``Accept``)."""
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _page(title: str, detail: str, code: str, link: str | None, link_text: str, status: int) -> HttpResponse:
    body = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
        f"<body><h1>{escape(title)}</h1><p>{escape(detail)}</p>"
        f"<p>{escape(str(PAGE_TEXTS['code']))} <code>{escape(code)}</code></p>"
        + (f"<p><a href='{escape(link)}'>{escape(link_text)}</a></p>" if link is not None else "")
        + "</body></html>"
    )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def _login_url() -> str | None:
    try:
        path: str = reverse("fastcognito:login")
        return path
    except NoReverseMatch:  # the views mounted under names of the site's own
        return None


def signin_error_response(
    request: HttpRequest, error: FastCognitoError, *, page: bool = False, status: int | None = None
) -> HttpResponse:
    """A failed sign-in step: ``{"detail", "code"}`` with the error's status (or ``status``); a
    small HTML page instead for a browser navigation (``page=True``) unless it asked for JSON.
    Never cached; a throttled attempt says when to try again (``Retry-After``)."""
    status = status or status_for(error)
    body = error_body(error)
    response: HttpResponse
    if page and not wants_json(request):
        title = str(PAGE_TEXTS["signin_failed_title"])
        again = str(PAGE_TEXTS["signin_again"])
        response = _page(title, body["detail"], body["code"], _login_url(), again, status)
    else:
        response = JsonResponse(body, status=status)
    if isinstance(error, SignInThrottledError) and error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    response["Cache-Control"] = "no-store"
    return response


def signed_out_unrecorded_response(request: HttpRequest, error: JWKSError, logout_url: str) -> HttpResponse:
    """503 for a sign-out that is done everywhere but could not be recorded on the denylist (the
    access token stays valid until it expires): JSON with ``logout_url``, or a page linking to it."""
    detail = str(PAGE_TEXTS["signed_out_unrecorded"])
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse({"detail": detail, "code": error.code, "logout_url": logout_url}, status=503)
    else:
        title = str(PAGE_TEXTS["signed_out_title"])
        response = _page(title, detail, error.code, logout_url, str(PAGE_TEXTS["continue"]), 503)
    response["Cache-Control"] = "no-store"
    return response
