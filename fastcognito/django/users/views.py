"""The token exchange endpoints: a Cognito token in, a ``djangorestframework-simplejwt`` pair out.

For teams that issue their own tokens after verifying Cognito's (as django-rest-microservice
does). ``POST exchange/`` ``{"token": "<Cognito id or access token>"}`` (or, with no token in the
body, ``Authorization: Bearer``): the token is verified with the same rules as every request
(pool, client, issuer, keys; either ``token_use``), mapped to its replica user, and answered with
``{"access", "refresh"}``; with ``REPLICA["EXCHANGE_REFRESH_COOKIE"]``, ``{"access"}`` and the
refresh token in an HttpOnly cookie. ``POST refresh/`` trades that cookie for a new access token,
and ``POST logout/`` blacklists the refresh token (simplejwt's ``token_blacklist``) and clears
the cookie.

Answers: 200 with the pair; 401 ``{"detail", "code"}`` for a missing or rejected token; 403
``user_refused`` when the mapping hook or the local user refuses; 503 when the keys cannot be had.

CSRF: ``exchange/`` reads no cookie, and takes its token from a JSON body or the
``Authorization`` header, neither of which a cross-site page can send: it needs no CSRF token.
``refresh/`` and ``logout/`` with the cookie act on an ambient credential: they need one.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping
from typing import Any, cast

from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ...claims import Claims
from ...exceptions import ConfigurationError, JWKSError, MalformedTokenError, TokenError, UserRefusedError
from ...verifier import CognitoVerifier
from ..conf import DERIVED, NOT_BUILT, fastcognito_settings
from ..cookies import clear_exchange_refresh_cookie, set_exchange_refresh_cookie
from ..responses import error_body, error_response, refused_response
from ..tokens import get_authorization_header, parse_authorization_header
from .config import ExchangeCookie, replica_config

__all__ = [
    "VERIFIED_BY",
    "exchange_token",
    "exchange_verifier",
    "issue_pair",
    "refresh_exchanged_token",
    "revoke_exchanged_token",
]

logger = logging.getLogger("fastcognito.django")

# Claims simplejwt writes or checks itself (besides those already in the new token): a copied
# Cognito claim or user field must never stand in for them.
_RESERVED = frozenset({"token_type", "exp", "iat", "jti", "user_id", "nbf", "aud", "iss"})

VERIFIED_BY: Mapping[str, str] = {"email": "email_verified", "phone_number": "phone_number_verified"}
"""A claim that the pair carries only when the Cognito token's flag beside it is the JSON boolean
``true``: an address nobody verified never travels as if it were."""


def _build_exchange_verifier() -> CognitoVerifier:
    options = fastcognito_settings.verifier_options()
    options["token_use"] = None
    return CognitoVerifier(fastcognito_settings.USER_POOL_ID, **options)


def exchange_verifier() -> CognitoVerifier:
    """The settings' verifier, accepting both id and access tokens (built once per settings
    change): the same pool, clients, issuer, keys and limits, only ``token_use`` is left open."""
    verifier: CognitoVerifier = DERIVED.exchange_verifier
    if verifier is NOT_BUILT:
        verifier = fastcognito_settings.derive("exchange_verifier", _build_exchange_verifier)
    return verifier


def _verified(name: str, claims: Claims) -> bool:
    flag = VERIFIED_BY.get(name)
    return flag is None or claims.get(flag) is True


def _json_value(name: str, value: Any) -> tuple[bool, Any]:
    """``(True, value)`` as JSON has it (dates, UUIDs and decimals as text), or ``(False, None)``."""
    try:
        return True, json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    except (TypeError, ValueError):
        logger.warning(
            "REPLICA['EXCHANGE_USER_FIELDS']: %r is not JSON (a %s): left out", name, type(value).__name__
        )
        return False, None


def _user_values(user: Any, claims: Claims, names: tuple[str, ...]) -> dict[str, Any]:
    """``EXCHANGE_USER_FIELDS`` of ``user``. The e-mail field counts as the token's ``email``: the
    replica copies it from the token, verified or not."""
    get_email_field_name = getattr(type(user), "get_email_field_name", None)
    email_field = get_email_field_name() if get_email_field_name is not None else "email"
    values = {}
    for name in names:
        if not hasattr(user, name) or (name == email_field and not _verified("email", claims)):
            continue
        ok, value = _json_value(name, getattr(user, name))
        if ok:
            values[name] = value
    return values


def issue_pair(user: Any, claims: Claims) -> dict[str, str]:
    """A simplejwt refresh and access pair for ``user``: the ``EXCHANGE_CLAIMS`` of ``claims``
    (``email`` and ``phone_number`` only when verified: ``VERIFIED_BY``), then the
    ``EXCHANGE_USER_FIELDS`` of ``user``, then the ``EXCHANGE_EXTRA_CLAIMS``; never over a claim
    simplejwt sets itself.

    With ``REPLICA["EXCHANGE_CAP_EXP"]`` (the default) the pair lives no longer than the Cognito
    token it was exchanged for: the access token expires by the Cognito token's ``exp``, and the
    refresh token early enough that no access token simplejwt mints from it outlives it either.
    """
    from rest_framework_simplejwt.settings import api_settings

    conf = replica_config()
    extra: dict[str, Any] = {
        name: claims[name] for name in conf.exchange_claims if name in claims and _verified(name, claims)
    }
    extra.update(_user_values(user, claims, conf.exchange_user_fields))
    if conf.exchange_extra_claims is not None:
        more = conf.exchange_extra_claims(user, claims)
        if not isinstance(more, Mapping):
            raise TypeError("REPLICA['EXCHANGE_EXTRA_CLAIMS'] must return a dict")
        extra.update(more)
    refresh = _new_refresh_token(user)
    for name, value in extra.items():
        if name not in _RESERVED and name not in refresh.payload:
            # Set on the refresh token, they are copied into every access token it makes.
            refresh[name] = value
    access = refresh.access_token
    if conf.exchange_cap_exp:
        # A verified token's exp is a finite number. Past it, the Cognito sign-in may be over
        # (the user disabled, signed out, removed from a group): so is everything issued here.
        cognito_exp = math.floor(claims["exp"])
        access["exp"] = min(access["exp"], cognito_exp)
        # simplejwt's refresh view mints access tokens of ACCESS_TOKEN_LIFETIME from the refresh
        # token: it must stop that long before the Cognito token does (already expired when
        # less is left: exchange a fresh Cognito token instead).
        lifetime = math.ceil(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds())
        refresh["exp"] = min(refresh["exp"], cognito_exp - lifetime)
    _outstand(user, refresh)
    return {"refresh": str(refresh), "access": str(access)}


BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"


def _new_refresh_token(user: Any) -> Any:
    """simplejwt's ``RefreshToken.for_user(user)``, less the blacklist app's write of the
    outstanding token: that write goes to the default router's database, which need not be the
    replica's (``REPLICA["DATABASE"]``), and it would record the lifetime and claims before the
    cap and the extra claims change them. ``_outstand`` records the token as it is issued."""
    from rest_framework_simplejwt.tokens import BlacklistMixin, RefreshToken

    return super(BlacklistMixin, RefreshToken).for_user(user)


def _outstand(user: Any, refresh: Any) -> None:
    """The issued refresh token in the blacklist app's outstanding tokens, in the database of its
    user (so simplejwt's admin lists it, and a site can revoke every token of a user)."""
    from django.apps import apps
    from django.db import router

    if not apps.is_installed(BLACKLIST_APP):
        return
    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
    from rest_framework_simplejwt.utils import datetime_from_epoch

    OutstandingToken.objects.using(router.db_for_write(OutstandingToken, instance=user)).create(
        user=user,
        jti=refresh[api_settings.JTI_CLAIM],
        token=str(refresh),
        created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )


def _json_body(request: HttpRequest) -> Any:
    """The request's JSON body (``None`` when it is not ``application/json``), bounded before
    any parser sees it: a token is at most ``MAX_TOKEN_BYTES``, and every JSON parser at hand
    recurses once per level (a deep body would be a RecursionError, a 500)."""
    from ..._constants import MAX_JSON_DEPTH
    from ..._impl import json_too_deep

    if request.content_type != "application/json":
        return None
    limit = 2 * fastcognito_settings.MAX_TOKEN_BYTES + 1024
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise MalformedTokenError("the body is too large")
    raw = request.body
    if len(raw) > limit:
        raise MalformedTokenError("the body is too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedTokenError("the body is not UTF-8 JSON") from None
    if json_too_deep(text):
        raise MalformedTokenError(f"the body nests arrays or objects more than {MAX_JSON_DEPTH} deep")
    try:
        return json.loads(text or "null")
    except ValueError:
        raise MalformedTokenError("the body is not JSON") from None


def _body_field(request: HttpRequest, name: str) -> str | None:
    body = _json_body(request)
    value = body.get(name) if isinstance(body, dict) else None
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise MalformedTokenError(f'the body must be {{"{name}": "<token>"}}')
    return value


def _token_from(request: HttpRequest) -> str | None:
    # The body first: a frontend that sends its internal token in Authorization on every call
    # (as it does to the rest of the API) must not have that header stand in for the Cognito
    # token of the body. The header is read only when the body holds none.
    token = _body_field(request, "token")
    if token is not None:
        return token
    header = get_authorization_header(request)
    if header is not None:
        return parse_authorization_header(header, ("Bearer",))
    return None


@never_cache
@csrf_exempt
@require_POST
def exchange_token(request: HttpRequest) -> HttpResponse:
    """``POST`` a Cognito token, get a simplejwt pair for its replica user."""
    from .sync import sync_user

    try:
        token = _token_from(request)
        if token is None:
            return error_response(None)
        claims = exchange_verifier().verify(token)
        user = sync_user(claims)
        pair = issue_pair(user, claims)
    except UserRefusedError as err:
        logger.info("token exchange refused the user: %s", err)
        return refused_response(err)
    except (TokenError, JWKSError) as err:
        logger.debug("token exchange rejected the token: %s", err.code)
        return error_response(err)
    cookie = replica_config().exchange_refresh_cookie
    if cookie is None:
        response = JsonResponse(pair)
    else:
        response = JsonResponse({"access": pair["access"]})
        lifetime = _lifetime(pair["refresh"])
        set_exchange_refresh_cookie(request, response, cookie, pair["refresh"], max_age=lifetime)
    response["Cache-Control"] = "no-store"
    return response


def _lifetime(refresh_token: str) -> int:
    from rest_framework_simplejwt.tokens import RefreshToken

    return int(RefreshToken(cast(Any, refresh_token), verify=False)["exp"] - time.time())


# --- refresh/ and logout/: the refresh token of the exchange -----------------------------------------


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    """Django's own CSRF check (the token, and Origin or Referer over https) for a request that
    carries the refresh cookie, whatever the view's decorators: the cookie is ambient."""

    def no_view(request: HttpRequest) -> HttpResponse:  # pragma: no cover
        return HttpResponse()

    check = CsrfViewMiddleware(no_view)
    check.process_request(request)
    failure: HttpResponse | None = check.process_view(request, no_view, (), {})
    return failure


def _refused(error: TokenError | None, cookie: ExchangeCookie | None, request: HttpRequest) -> HttpResponse:
    response = error_response(error)
    if cookie is not None and cookie.name in request.COOKIES:
        # A refresh token that no longer works is of no use to the browser either.
        clear_exchange_refresh_cookie(request, response, cookie)
    response["Cache-Control"] = "no-store"
    return response


def _refresh_token(raw: str) -> Any:
    """simplejwt's ``RefreshToken`` of ``raw``: signature, expiry, type and (with
    ``token_blacklist``) the blacklist checked; its user must exist and be allowed by
    ``SIMPLE_JWT["USER_AUTHENTICATION_RULE"]`` (active, by default)."""
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.exceptions import TokenError as SimpleJWTError
    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.tokens import RefreshToken

    try:
        token = RefreshToken(cast(Any, raw))
    except SimpleJWTError:
        raise TokenError("the refresh token is invalid, expired or revoked") from None
    user_id = token.payload.get(api_settings.USER_ID_CLAIM)
    try:
        user = get_user_model()._default_manager.get(**{api_settings.USER_ID_FIELD: user_id})
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise TokenError("the refresh token's user does not exist") from None
    if not api_settings.USER_AUTHENTICATION_RULE(user):
        raise TokenError("the refresh token's user is not active")
    return token


@never_cache
@csrf_exempt  # checked below, by _csrf_failure, before anything is read or written
@require_POST
def refresh_exchanged_token(request: HttpRequest) -> HttpResponse:
    """``POST`` with the refresh cookie (``REPLICA["EXCHANGE_REFRESH_COOKIE"]``) and a CSRF token:
    ``{"access"}``, a new access token. 404 when the cookie is not configured."""
    cookie = replica_config().exchange_refresh_cookie
    if cookie is None:
        raise Http404("the exchange keeps no refresh cookie")
    failure = _csrf_failure(request)
    if failure is not None:
        return failure
    raw = request.COOKIES.get(cookie.name)
    if not raw:
        return _refused(None, cookie, request)
    try:
        access = _refresh_token(raw).access_token
    except TokenError as err:
        logger.debug("exchange refresh refused: %s", err)
        return _refused(err, cookie, request)
    response = JsonResponse({"access": str(access)})
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@csrf_exempt  # checked below when the cookie comes, before anything is read or written
@require_POST
def revoke_exchanged_token(request: HttpRequest) -> HttpResponse:
    """``POST`` with the refresh cookie (and a CSRF token), or ``{"refresh": "<token>"}``: puts
    the refresh token on simplejwt's blacklist and clears the cookie. 204 when revoked."""
    cookie = replica_config().exchange_refresh_cookie
    from_cookie = request.COOKIES.get(cookie.name) if cookie is not None else None
    if from_cookie:
        failure = _csrf_failure(request)
        if failure is not None:
            return failure
    try:
        raw = _body_field(request, "refresh") or from_cookie
        if not raw:
            return _refused(None, cookie, request)
        token = _refresh_token(raw)
    except TokenError as err:
        logger.debug("exchange logout refused: %s", err)
        return _refused(err, cookie, request)
    blacklist = getattr(token, "blacklist", None)
    if blacklist is None:
        error = ConfigurationError(f"{BLACKLIST_APP} is not installed (check E210)")
        logger.error("exchange logout cannot revoke: %s", error)
        return JsonResponse(error_body(error), status=503)
    blacklist()
    response = HttpResponse(status=204)
    if cookie is not None:
        clear_exchange_refresh_cookie(request, response, cookie)
    response["Cache-Control"] = "no-store"
    return response
