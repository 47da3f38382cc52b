"""ALB tokens in Django: the ``AlbVerifier`` of ``FASTCOGNITO["ALB"]``, and ``AlbMiddleware``.

An Application Load Balancer that authenticates users passes their claims in the
``x-amzn-oidc-data`` header, signed with ES256. ``AlbMiddleware`` gives plain Django views
``request.user`` from that header, exactly as ``CognitoMiddleware`` does from a Cognito token
(lazily, in sync and async stacks, ``request.cognito_error`` on rejection);
``fastcognito.drf.alb.AlbAuthentication`` does it for DRF.

``FASTCOGNITO["ALB"]``: its keys (``ARNS``, ``CLIENT_ID``, ``ISSUER``, ``REGION``, ``KEYS_URL``,
``LEEWAY``) and defaults are in the settings schema (``conf.SCHEMA``), each the keyword argument
of ``AlbVerifier`` it becomes; the verifier checks them all (E134).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from ..alb import AlbVerifier
from ..claims import Claims
from ..exceptions import ConfigurationError
from .conf import DERIVED, NOT_BUILT, SETTINGS_NAME, FastCognitoSettings, fastcognito_settings, schema_of
from .middleware import CognitoMiddleware
from .tokens import RawToken

__all__ = ["ALB_HEADER", "ALB_SETTINGS", "AlbMiddleware", "alb_verifier", "build_alb_verifier"]

ALB_HEADER = "HTTP_X_AMZN_OIDC_DATA"
"""``x-amzn-oidc-data`` as Django's ``request.META`` names it."""

ALB_SETTINGS: dict[str, str] = {key: str(setting.argument) for key, setting in schema_of("ALB").items()}
"""``FASTCOGNITO["ALB"]`` key -> ``AlbVerifier`` keyword, from the settings schema."""


def build_alb_verifier(conf: FastCognitoSettings = fastcognito_settings) -> AlbVerifier:
    """A new ``AlbVerifier`` from ``FASTCOGNITO["ALB"]`` (no network); raises ``ConfigurationError``."""
    alb = conf.ALB
    if alb is None:
        raise ConfigurationError(f"{SETTINGS_NAME}['ALB'] is not set: the ALB sources need it")
    if not isinstance(alb, Mapping):
        raise ConfigurationError(f"{SETTINGS_NAME}['ALB'] must be a dict, got {type(alb).__name__}")
    unknown = sorted(str(key) for key in alb if key not in ALB_SETTINGS)
    if unknown:
        raise ConfigurationError(
            f"{SETTINGS_NAME}['ALB'] has unknown keys {unknown}; known: {sorted(ALB_SETTINGS)}"
        )
    if "ARNS" not in alb:
        raise ConfigurationError(
            f"{SETTINGS_NAME}['ALB']['ARNS'] is not set: the ARNs of the trusted load balancers"
        )
    options = {ALB_SETTINGS[key]: value for key, value in alb.items() if key != "ARNS"}
    try:
        return AlbVerifier(alb["ARNS"], **options)
    except TypeError as err:  # pragma: no cover - every key is mapped to a keyword
        raise ConfigurationError(f"{SETTINGS_NAME}['ALB']: {err}") from err


def alb_verifier() -> AlbVerifier:
    """The ``AlbVerifier`` of the current settings: built once, dropped when settings change."""
    verifier: AlbVerifier = DERIVED.alb_verifier  # per request: a slot read
    if verifier is NOT_BUILT:
        verifier = fastcognito_settings.derive("alb_verifier", build_alb_verifier)
    return verifier


def alb_token_from_request(request: Any) -> RawToken | None:
    """The ``x-amzn-oidc-data`` header, or ``None``.

    Its source is ``"alb"``, which is CSRF-checked on unsafe methods, as a cookie is: the browser
    does not send this header, the ALB adds it to every request that carries the ALB's session
    cookie, cross-site form posts included. It is ambient, unlike ``Authorization``."""
    value = request.META.get(ALB_HEADER)
    return RawToken(value, "alb") if value else None


class AlbMiddleware(CognitoMiddleware):
    """``CognitoMiddleware`` that reads the ALB's ``x-amzn-oidc-data`` header.

    Place it after ``AuthenticationMiddleware``. Use it only behind an ALB that authenticates
    every request to this app: the signature check stops forged headers, and the allowed
    ``ARNS`` stop tokens of other load balancers. The header is ambient (the ALB adds it to
    cross-site requests too), so ``CsrfViewMiddleware`` checks unsafe requests as for a cookie.
    """

    def get_raw_token(self, request: HttpRequest) -> RawToken | None:
        return alb_token_from_request(request)

    def get_claims(self, raw_token: RawToken) -> Claims:
        return alb_verifier().verify(raw_token.value)
