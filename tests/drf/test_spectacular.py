"""The drf-spectacular extension: the header (bearer JWT) and cookie schemes of CognitoAuthentication."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("fastcognito_config")


def schema(api_client: Any) -> dict[str, Any]:
    response = api_client.get("/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_schema_has_a_bearer_jwt_scheme(api_client: Any) -> None:
    document = schema(api_client)
    scheme = document["components"]["securitySchemes"]["CognitoJWT"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert document["paths"]["/drf/whoami/"]["get"]["security"] == [{"CognitoJWT": []}]
    assert "CognitoCookie" not in document["components"]["securitySchemes"]


@pytest.mark.parametrize(
    ("token_use", "words"),
    [("access", "AWS Cognito access token"), ("id", "AWS Cognito id token"), (None, "AWS Cognito access or id token")],
)
def test_the_description_names_the_token_use(
    api_client: Any, fastcognito_config: Any, token_use: str | None, words: str
) -> None:
    fastcognito_config(TOKEN_USE=token_use)
    description = schema(api_client)["components"]["securitySchemes"]["CognitoJWT"]["description"]
    assert description.startswith(f"An {words} (RS256 JWT)")


def test_a_cookie_source_adds_a_cookie_scheme_as_an_alternative(api_client: Any, fastcognito_config: Any) -> None:
    fastcognito_config(COOKIE_NAME="access_token", TOKEN_USE="id")
    document = schema(api_client)
    cookie = document["components"]["securitySchemes"]["CognitoCookie"]
    assert (cookie["type"], cookie["in"], cookie["name"]) == ("apiKey", "cookie", "access_token")
    assert "id token" in cookie["description"] and "CSRF" in cookie["description"]
    # Two requirement objects: either one authenticates (OR), not both together (AND).
    assert document["paths"]["/drf/whoami/"]["get"]["security"] == [{"CognitoJWT": []}, {"CognitoCookie": []}]


def test_subclasses_are_covered(api_client: Any) -> None:
    assert {"CognitoJWT": []} in schema(api_client)["paths"]["/drf/hooked/"]["get"]["security"]


def test_subclasses_share_one_component_without_a_collision_warning() -> None:
    # /drf/whoami/ uses CognitoAuthentication, /drf/hooked/ a subclass: drf-spectacular used to
    # register CognitoJWT once per class and warn about the duplicate name.
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    document = SchemaGenerator().get_schema(request=None, public=True)
    warnings = [message for message in GENERATOR_STATS._warn_cache if "CognitoJWT" in message]
    assert warnings == []
    assert list(document["components"]["securitySchemes"]) == ["CognitoJWT"]


def test_custom_header_type_falls_back_to_api_key(api_client: Any, fastcognito_config: Any) -> None:
    fastcognito_config(AUTH_HEADER_TYPES=["JWT"])
    scheme = schema(api_client)["components"]["securitySchemes"]["CognitoJWT"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
