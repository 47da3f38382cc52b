"""drf-spectacular: ``CognitoAuthentication`` (and subclasses) as OpenAPI security schemes.

``CognitoJWT`` is the ``Authorization`` header (an HTTP bearer scheme, or an ``apiKey`` with a
custom header type); ``CognitoCookie`` (an ``apiKey`` in a cookie) is added when ``COOKIE_NAME`` is
set, as an alternative. The descriptions name the token use the settings require.

Imported by ``fastcognito.drf`` when drf-spectacular is installed; defining the class registers it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import ResolvedComponent, build_bearer_security_scheme_object

from ..django.conf import FastCognitoSettings, fastcognito_settings

__all__ = ["COOKIE_SCHEME_NAME", "HEADER_SCHEME_NAME", "CognitoAuthenticationScheme", "token_description"]

HEADER_SCHEME_NAME = "CognitoJWT"
COOKIE_SCHEME_NAME = "CognitoCookie"

_TOKEN_USE_WORDS = {"access": "access token", "id": "id token"}


def token_description(conf: FastCognitoSettings = fastcognito_settings) -> str:
    """The token the settings require, in words: ``An AWS Cognito access token (RS256 JWT)``."""
    return f"An AWS Cognito {_TOKEN_USE_WORDS.get(conf.TOKEN_USE, 'access or id token')} (RS256 JWT)"


class CognitoAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "fastcognito.drf.CognitoAuthentication"
    match_subclasses = True
    # drf-spectacular registers one component per authentication class it meets, identified by
    # that class: a subclass would register "CognitoJWT" again under another identity and warn
    # about the duplicate name. With no names here, this extension registers its components
    # itself, identified by the base class, so every subclass shares them.
    name: list[str] = []

    def schemes(self) -> dict[str, dict[str, Any]]:
        """The security schemes, by component name: the header, and the cookie if configured."""
        conf = fastcognito_settings
        types = conf.AUTH_HEADER_TYPES
        description = token_description(conf)
        header: dict[str, Any] = build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix=types[0] if types else "Bearer",
            bearer_format="JWT",
        )
        header["description"] = f"{description}, in the Authorization header."
        schemes = {HEADER_SCHEME_NAME: header}
        cookie_name = conf.access_cookie_name
        if cookie_name:
            schemes[COOKIE_SCHEME_NAME] = {
                "type": "apiKey",
                "in": "cookie",
                "name": cookie_name,
                "description": f"{description}, in a cookie. Unsafe methods also need a CSRF token.",
            }
        return schemes

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        from .authentication import CognitoAuthentication

        schemes = self.schemes()
        for name, definition in schemes.items():
            auto_schema.registry.register_on_missing(
                ResolvedComponent(  # type: ignore[no-untyped-call]
                    name=name,
                    type=ResolvedComponent.SECURITY_SCHEMA,
                    object=CognitoAuthentication,
                    schema=definition,
                )
            )
        # Either source authenticates (OpenAPI: a list of requirements is an OR).
        return [{name: []} for name in schemes]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return []  # registered by get_security_requirement
