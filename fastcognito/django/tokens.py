"""Where a request carries its token: the ``Authorization`` header or a cookie.

Shared by the DRF authentication class and the middleware. Only parsing happens here; the token
is verified elsewhere, and it is never logged or echoed.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from ..exceptions import MalformedTokenError
from .conf import FastCognitoSettings, fastcognito_settings

__all__ = ["RawToken", "get_authorization_header", "parse_authorization_header", "token_from_request"]

TokenSource = Literal["header", "cookie"]


class RawToken(NamedTuple):
    """A token as found in the request, not yet verified. ``source`` decides whether CSRF applies."""

    value: str
    source: TokenSource

    def __repr__(self) -> str:
        # The token is a credential: keep it out of reprs, tracebacks and debug pages.
        return f"RawToken(source={self.source!r})"


def get_authorization_header(request: Any) -> str | None:
    """The ``Authorization`` header, or ``None`` when absent or empty."""
    header = request.META.get("HTTP_AUTHORIZATION")
    return header or None


def parse_authorization_header(header: str, header_types: tuple[str, ...]) -> str | None:
    """The token of ``<type> <token>`` when ``<type>`` is one of ``header_types``.

    ``None`` for another scheme (``Basic ...``): the header belongs to another authenticator.
    RFC 7235 §2.1: the scheme is case-insensitive. RFC 6750 §2.1: ``"Bearer" 1*SP b64token``, so
    a missing token, or anything after it, is malformed.
    """
    scheme, _, rest = header.partition(" ")
    scheme = scheme.lower()
    if not any(scheme == header_type.lower() for header_type in header_types):
        return None
    token = rest.lstrip(" ")
    if not token or any(char.isspace() for char in token):
        raise MalformedTokenError("the Authorization header must be '<type> <token>'")
    return token


def token_from_request(
    request: Any, conf: FastCognitoSettings = fastcognito_settings, header: str | None = None
) -> RawToken | None:
    """The header token if the header has one of our types, else the cookie token, else ``None``.

    ``header`` is the ``Authorization`` header when the caller has read it already (DRF's
    overridable ``get_header``); otherwise it is read from ``request``.
    """
    if header is None:
        header = get_authorization_header(request)
    if header is not None:
        token = parse_authorization_header(header, conf.AUTH_HEADER_TYPES)
        if token is not None:
            return RawToken(token, "header")
    cookie_name = conf.COOKIE_NAME
    if cookie_name:
        value = request.COOKIES.get(cookie_name)
        if value:
            return RawToken(value, "cookie")
    return None
