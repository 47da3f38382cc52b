"""The drf-spectacular extension: CognitoAuthentication appears as an HTTP bearer scheme (JWT)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("fastcognito_config")


def test_schema_has_a_bearer_jwt_scheme(api_client: Any) -> None:
    response = api_client.get("/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    scheme = schema["components"]["securitySchemes"]["CognitoJWT"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert {"CognitoJWT": []} in schema["paths"]["/drf/whoami/"]["get"]["security"]


def test_subclasses_are_covered(api_client: Any) -> None:
    schema = api_client.get("/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert {"CognitoJWT": []} in schema["paths"]["/drf/hooked/"]["get"]["security"]


def test_custom_header_type_falls_back_to_api_key(api_client: Any, fastcognito_config: Any) -> None:
    fastcognito_config(AUTH_HEADER_TYPES=["JWT"])
    schema = api_client.get("/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    scheme = schema["components"]["securitySchemes"]["CognitoJWT"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
