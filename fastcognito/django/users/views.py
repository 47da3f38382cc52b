"""The token exchange endpoint: a Cognito token in, a ``djangorestframework-simplejwt`` pair out.

For teams that issue their own tokens after verifying Cognito's (as django-rest-microservice
does). ``POST`` ``{"token": "<Cognito id or access token>"}`` (or ``Authorization: Bearer``):
the token is verified with the same rules as every request (pool, client, issuer, keys; either
``token_use``), mapped to its replica user, and answered with ``{"access", "refresh"}``.

Answers: 200 with the pair; 401 ``{"detail", "code"}`` for a missing or rejected token; 403
``user_refused`` when the mapping hook or the local user refuses; 503 when the keys cannot be had.
No cookie is read, so no CSRF token is needed: a cross-site form cannot supply the token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ...claims import Claims
from ...exceptions import JWKSError, MalformedTokenError, TokenError, UserRefusedError
from ...verifier import CognitoVerifier
from ..conf import DERIVED, NOT_BUILT, fastcognito_settings
from ..responses import error_response, refused_response
from ..tokens import get_authorization_header, parse_authorization_header
from .config import replica_config

__all__ = ["exchange_token", "exchange_verifier", "issue_pair"]

logger = logging.getLogger("fastcognito.django")

# Claims simplejwt writes or checks itself (besides those already in the new token): a copied
# Cognito claim must never stand in for them.
_RESERVED = frozenset({"token_type", "exp", "iat", "jti", "user_id", "nbf", "aud", "iss"})

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


def issue_pair(user: Any, claims: Claims) -> dict[str, str]:
    """A simplejwt refresh and access pair for ``user``, with the configured extra claims.

    With ``REPLICA["EXCHANGE_CAP_EXP"]`` (the default) the pair lives no longer than the Cognito
    token it was exchanged for: the access token expires by the Cognito token's ``exp``, and the
    refresh token early enough that no access token simplejwt mints from it outlives it either.
    """
    import math

    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.tokens import RefreshToken

    conf = replica_config()
    extra: dict[str, Any] = {name: claims[name] for name in conf.exchange_claims if name in claims}
    if conf.exchange_extra_claims is not None:
        more = conf.exchange_extra_claims(user, claims)
        if not isinstance(more, Mapping):
            raise TypeError("REPLICA['EXCHANGE_EXTRA_CLAIMS'] must return a dict")
        extra.update(more)
    refresh = RefreshToken.for_user(user)
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
    return {"refresh": str(refresh), "access": str(access)}


def _token_from(request: HttpRequest) -> str | None:
    from ..._constants import MAX_JSON_DEPTH
    from ..._impl import json_too_deep

    header = get_authorization_header(request)
    if header is not None:
        token = parse_authorization_header(header, ("Bearer",))
        if token is not None:
            return token
    if request.content_type != "application/json":
        return None
    # Bounded before any parser sees it: a token is at most MAX_TOKEN_BYTES, and every JSON
    # parser at hand recurses once per level (a deep body would be a RecursionError, a 500).
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
        body = json.loads(text or "null")
    except ValueError:
        raise MalformedTokenError("the body is not JSON") from None
    token = body.get("token") if isinstance(body, dict) else None
    if token is None:
        return None
    if not isinstance(token, str) or not token:
        raise MalformedTokenError('the body must be {"token": "<Cognito token>"}')
    return token


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
    response = JsonResponse(pair)
    response["Cache-Control"] = "no-store"
    return response
