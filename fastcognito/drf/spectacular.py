"""drf-spectacular: ``CognitoAuthentication`` (and subclasses) as an HTTP bearer scheme (JWT).

Imported by the app config ``fastcognito.django`` when drf-spectacular is installed; defining the
class registers it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object

from ..django.conf import fastcognito_settings

__all__ = ["CognitoAuthenticationScheme"]


class CognitoAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "fastcognito.drf.CognitoAuthentication"
    match_subclasses = True
    name = "CognitoJWT"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        types = fastcognito_settings.AUTH_HEADER_TYPES
        scheme: dict[str, Any] = build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix=types[0] if types else "Bearer",
            bearer_format="JWT",
        )
        scheme.setdefault("description", "An AWS Cognito access or id token (RS256 JWT).")
        return scheme
