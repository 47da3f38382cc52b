"""The per-request work the DRF class and the middleware share: find the token, and answer 401.

Only parsing happens here; the token is verified elsewhere, and it is never logged or echoed.
What the settings decide for every request (header types, cookie name, challenges)
is resolved once per settings change into a ``RequestPolicy``, not looked up per request.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from django.utils.cache import patch_vary_headers

from ..exceptions import FastCognitoError, MalformedTokenError, TokenError
from .conf import NOT_BUILT, FastCognitoSettings, fastcognito_settings

if TYPE_CHECKING:
    from django.http import HttpResponse

__all__ = [
    "DJANGO_VARIES_ON_AUTHORIZATION",
    "VARY_ON",
    "RawToken",
    "RequestPolicy",
    "TokenSource",
    "build_challenge",
    "check_rejected_header_token",
    "cookie_token",
    "find_token",
    "find_token_unchecked",
    "get_authorization_header",
    "header_token",
    "parse_authorization_header",
    "rejected_header_token_error",
    "request_policy",
    "token_from_request",
    "vary_on_token_source",
]

TokenSource = Literal["header", "cookie", "alb"]
"""Where a token came from. Only ``"header"`` (the ``Authorization`` header, which the page's own
script sets) is exempt from CSRF checks. Every other source is ambient, attached by the browser or
by a proxy in front of it to cross-site requests too: ``"cookie"``, and ``"alb"`` (the ALB adds
``x-amzn-oidc-data`` to every request that carries its session cookie). Every exemption is written
``source == "header"``, so a source added later is CSRF-checked unless it is proven otherwise."""



def _django_varies_on_authorization() -> bool:
    """Whether Django's cache middleware varies an answer to a request carrying Authorization on
    that header itself, as it does since 5.2.15 (4.2, 5.0, 5.1 and 5.2.14 do not, and served a
    page built for one Bearer user to every visitor). Read from its source, once: no version
    table to keep. Where it cannot be read, ours is added (the safe side); where Django does it,
    ours would be a second patch_vary_headers on every Bearer request (about 2 us)."""
    try:
        from django.middleware.cache import UpdateCacheMiddleware

        source = inspect.getsource(UpdateCacheMiddleware.process_response)
    except (ImportError, OSError, TypeError):
        return False
    return 'patch_vary_headers(response, ("Authorization",))' in source


# Shared caches do not store answers to Authorization (RFC 9111 §3.5); Django's per-site cache is
# the one to watch.
DJANGO_VARIES_ON_AUTHORIZATION = _django_varies_on_authorization()

VARY_ON: Mapping[str, str] = {
    "header": "" if DJANGO_VARIES_ON_AUTHORIZATION else "Authorization",
    # What SessionMiddleware adds once the session was read: the cookie names the user.
    "cookie": "Cookie",
    # The ALB adds x-amzn-oidc-data from its own session cookie, which it passes on too. A cache
    # behind the ALB (Django's per-site cache) sees the header, the very input the user was read
    # from, and must key on it. A cache in front of the ALB (a CDN) never sees the header, only
    # the ALB's session cookie: for it only Cookie keeps users apart. So both.
    "alb": "Cookie, X-Amzn-Oidc-Data",
}
"""The request headers an answer built for the user of a token depends on, by the token's source:
its ``Vary``, so that no cache serves one user's page to another (empty: Django adds it itself)."""


def vary_on_token_source(response: HttpResponse, source: str) -> None:
    """Add the ``Vary`` of a token's ``source`` to ``response`` (``VARY_ON``), if it has one."""
    names = VARY_ON[source]
    if names:
        patch_vary_headers(response, names.split(", "))

_MALFORMED_HEADER = "the Authorization header must be '<type> <token>'"
# ACCEPT_BARE_TOKEN: the whole header is one compact JWS (RFC 7515 §7.1): three base64url
# segments (RFC 4648 §5), nothing else. The verifier checks each segment strictly afterwards.
_BARE_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+").fullmatch


class RawToken(NamedTuple):
    """A token as found in the request, not yet verified. ``source`` decides whether CSRF applies:
    it does for every source but ``"header"`` (see ``TokenSource``)."""

    value: str
    source: TokenSource

    def __repr__(self) -> str:
        # The token is a credential: keep it out of reprs, tracebacks and debug pages.
        return f"RawToken(source={self.source!r})"


class RequestPolicy:
    """The settings as the per-request path uses them, resolved once per settings change.

    ``request_policy(conf)`` returns the one of ``conf``; ``reload()`` (``setting_changed``)
    drops it with the other cached values.
    """

    __slots__ = (
        "accept_bare_token",
        "challenge",
        "cookie_name",
        "header_types",
        "invalid_token_challenge",
        "prefix",
        "scheme",
        "settings",
        "user_class",
    )

    def __init__(self, conf: FastCognitoSettings) -> None:
        self.settings = conf
        # RFC 7235 §2.1: the scheme is case-insensitive; compared lower-cased, in one set probe.
        self.header_types: frozenset[str] = frozenset(header_type.lower() for header_type in conf.AUTH_HEADER_TYPES)
        self.cookie_name: str | None = conf.access_cookie_name
        self.accept_bare_token: bool = conf.ACCEPT_BARE_TOKEN is True
        self.scheme: str = conf.AUTH_HEADER_TYPES[0] if conf.AUTH_HEADER_TYPES else "Bearer"
        # "<first type> ", as configured: the header most requests carry, matched by one
        # startswith() (header_token). A type with a space in it could never be a scheme, which
        # ends at the first space: such a type gets no prefix.
        first = conf.AUTH_HEADER_TYPES[0] if conf.AUTH_HEADER_TYPES else None
        self.prefix: str | None = f"{first} " if first and " " not in first else None
        self.challenge = build_challenge(self.scheme, conf.WWW_AUTHENTICATE_REALM, invalid_token=False)
        self.invalid_token_challenge = build_challenge(self.scheme, conf.WWW_AUTHENTICATE_REALM, invalid_token=True)
        # USER_CLASS, as get_user() calls it: read here, not from the settings object per request.
        self.user_class: Callable[[Any], Any] = conf.USER_CLASS

    @property
    def retry_after(self) -> int:
        """``Retry-After`` seconds of a 503: the JWKS cooldown, at least 1. Read when needed only."""
        return max(1, int(self.settings.JWKS_COOLDOWN))

    def challenge_for(self, error: FastCognitoError | None) -> str:
        """``WWW-Authenticate`` for a request that ``error`` rejected (``None``: no credentials)."""
        return self.invalid_token_challenge if isinstance(error, TokenError) else self.challenge


def build_challenge(scheme: str, realm: str, *, invalid_token: bool) -> str:
    """``WWW-Authenticate``: ``invalid_token`` for a rejected token, else no credentials came."""
    challenge = f'{scheme} realm="{realm}"'
    # RFC 6750 §3.1: error="invalid_token" for a rejected token, no error attribute when the
    # request carried no credentials.
    if invalid_token:
        challenge += ', error="invalid_token"'
    return challenge


def request_policy(conf: FastCognitoSettings = fastcognito_settings) -> RequestPolicy:
    """The ``RequestPolicy`` of ``conf``, built on first use after each settings change.

    Per request, callers may read ``conf.derived_values.request_policy`` (a slot) themselves and
    call this only when it is ``NOT_BUILT``."""
    policy: RequestPolicy = conf.derived_values.request_policy
    if policy is NOT_BUILT:
        policy = conf.derive("request_policy", lambda: RequestPolicy(conf))
    return policy


def get_authorization_header(request: Any) -> str | None:
    """The ``Authorization`` header, or ``None`` when absent or empty.

    ``request`` is a Django ``HttpRequest`` or a DRF ``Request`` (whose ``META`` would go through
    its slow ``__getattr__``, so the wrapped request is read directly).
    """
    header: str | None = getattr(request, "_request", request).META.get("HTTP_AUTHORIZATION")
    return header or None


def _has_whitespace(token: str) -> bool:
    # RFC 6750 §2.1: the b64token cannot hold whitespace. A constant number of C-level string
    # operations: the interpreter never loops over the token's characters.
    if token.isascii():  # O(1): CPython records it
        # One memchr-backed search per ASCII character for which str.isspace() is true (written
        # out: a loop costs more; the parser's test compares it with str.isspace()).
        return (
            " " in token
            or "\t" in token
            or "\n" in token
            or "\r" in token
            or "\x0b" in token
            or "\x0c" in token
            or "\x1c" in token
            or "\x1d" in token
            or "\x1e" in token
            or "\x1f" in token
        )
    # str.split() breaks on exactly the characters for which str.isspace() is true, so one
    # piece as long as the token means that it holds none.
    pieces = token.split(None, 1)
    return len(pieces) != 1 or len(pieces[0]) != len(token)


def _token_from_header(header: str, header_types: frozenset[str]) -> str | None:
    scheme, _, rest = header.partition(" ")
    if scheme.lower() not in header_types:
        return None
    token = rest.lstrip(" ")
    if not token or _has_whitespace(token):
        raise MalformedTokenError(_MALFORMED_HEADER)
    return token


def parse_authorization_header(header: str, header_types: tuple[str, ...] | frozenset[str]) -> str | None:
    """The token of ``<type> <token>`` when ``<type>`` is one of ``header_types``.

    ``None`` for another scheme (``Basic ...``): the header belongs to another authenticator.
    RFC 7235 §2.1: the scheme is case-insensitive. RFC 6750 §2.1: ``"Bearer" 1*SP b64token``, so
    a missing token, or whitespace inside or after it, is ``MalformedTokenError``.
    """
    return _token_from_header(header, frozenset(header_type.lower() for header_type in header_types))


def token_from_request(
    request: Any, conf: FastCognitoSettings | RequestPolicy = fastcognito_settings, header: str | None = None
) -> RawToken | None:
    """The header token if the header has one of our types, else the cookie token, else ``None``.

    ``header`` is the ``Authorization`` header when the caller has read it already; otherwise it
    is read from ``request``. Raises ``MalformedTokenError`` for a header of our type without a
    well-formed token.
    """
    policy = conf if isinstance(conf, RequestPolicy) else request_policy(conf)
    if header is None:
        header = getattr(request, "_request", request).META.get("HTTP_AUTHORIZATION")
    return find_token(request, policy, header)


def find_token(request: Any, policy: RequestPolicy, header: str | None) -> RawToken | None:
    """``token_from_request`` once the header has been read (``None`` or empty: no header)."""
    raw_token = find_token_unchecked(request, policy, header)
    if raw_token is not None and raw_token.source == "header" and _has_whitespace(raw_token.value):
        raise MalformedTokenError(_MALFORMED_HEADER)
    return raw_token


def find_token_unchecked(request: Any, policy: RequestPolicy, header: str | None) -> RawToken | None:
    """``find_token`` without the whitespace check of a header token, for callers that verify
    the token at once and call ``check_rejected_header_token`` when it is rejected.

    A token with whitespace cannot pass the verifier (it is not base64url, step 3 of docs/verifier.md,
    checked before any key is fetched), so the check matters only for a rejected token: run
    after the verifier, it names the same error, and an accepted token does not pay for it.
    """
    if header:
        token = header_token(header, policy)
        if token is not None:
            return _new_raw_token(RawToken, (token, "header"))
    value = cookie_token(request, policy)
    return None if value is None else _new_raw_token(RawToken, (value, "cookie"))


def header_token(header: str, policy: RequestPolicy) -> str | None:
    """The token of a non-empty ``Authorization`` header whose scheme is one of the policy's (or,
    with ``ACCEPT_BARE_TOKEN``, of a header that is one compact JWS), whitespace in it not checked
    (``find_token_unchecked``); ``None`` for another scheme.

    Raises ``MalformedTokenError`` for a header of our scheme without a token. The default steps
    of ``CognitoMiddleware`` and ``CognitoAuthentication`` call it, and ``cookie_token``, inline,
    without building a ``RawToken``.
    """
    # _token_from_header, without the whitespace check: this runs on every request.
    prefix = policy.prefix
    if prefix is not None and header.startswith(prefix):
        # The scheme is exactly the first configured type; its rest as partition() gives it.
        rest = header[len(prefix) :]
    else:
        scheme, space, rest = header.partition(" ")
        if scheme.lower() not in policy.header_types:
            # Only for a header that is not of our types: the path of an accepted token stays as is.
            if policy.accept_bare_token and not space and _BARE_TOKEN(header) is not None:
                return header
            return None
    token = rest.lstrip(" ")
    if not token:
        raise MalformedTokenError(_MALFORMED_HEADER)
    return token


def cookie_token(request: Any, policy: RequestPolicy) -> str | None:
    """The value of the policy's token cookie (``COOKIE_NAME``), or ``None`` (unset or empty)."""
    cookie_name = policy.cookie_name
    if cookie_name is None:
        return None
    value: str | None = getattr(request, "_request", request).COOKIES.get(cookie_name)
    return value or None


def check_rejected_header_token(raw_token: RawToken) -> None:
    """Raise the parser's ``MalformedTokenError`` if the verifier rejected a header token that
    ``find_token`` would have refused (see ``find_token_unchecked``)."""
    error = rejected_header_token_error(raw_token.value, raw_token.source)
    if error is not None:
        raise error


def rejected_header_token_error(token: str, source: TokenSource) -> MalformedTokenError | None:
    """The parser's ``MalformedTokenError`` for a rejected header token that ``find_token`` would
    have refused, else ``None``: the error to report instead of the verifier's."""
    if source == "header" and _has_whitespace(token):
        return MalformedTokenError(_MALFORMED_HEADER)
    return None


# NamedTuple's own __new__ is a Python function; tuple.__new__ builds the same object in C.
_new_raw_token: Callable[[type[RawToken], tuple[str, str]], RawToken] = tuple.__new__
