"""CognitoAuthentication through real requests: sources, anonymity, every error, CSRF, the hook."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test.utils import CaptureQueriesContext

from fastcognito.drf import CognitoAuthentication
from tests.support import CLIENT_ID, KID, OTHER_CLIENT_ID, OTHER_ISSUER, TokenFactory

INVALID_TOKEN_CHALLENGE = 'Bearer realm="api", error="invalid_token"'

pytestmark = pytest.mark.usefixtures("fastcognito_config")


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"{scheme} {token}"}


def assert_rejected(response: Any, code: str) -> None:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]


# --- sources ---------------------------------------------------------------------------------


def test_header_token_authenticates_as_cognito_user(api_client: Any, tokens: TokenFactory) -> None:
    response = api_client.get("/drf/whoami/", **bearer(tokens.access()))
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "authenticated": True,
        "class": "CognitoUser",
        "username": "alice",
        "str": "alice",
        "pk": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        "id": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        "groups": ["admins", "editors"],
        "scopes": ["aws.cognito.signin.user.admin", "openid", "profile"],
        "email": "",
        "is_staff": True,
        "is_superuser": True,
        "token_use": "access",
    }


def _through_middleware(token: str) -> Any:
    """An HttpRequest carrying ``token`` after CognitoMiddleware, as a DRF view receives it."""
    from django.test import RequestFactory
    from rest_framework.request import Request

    from fastcognito.django import CognitoMiddleware

    django_request = RequestFactory().get("/drf/whoami/", **bearer(token))
    CognitoMiddleware(lambda request: None).process_request(django_request)
    return django_request, Request(django_request)


def test_drf_takes_the_token_the_middleware_found(tokens: TokenFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    import fastcognito.drf.authentication as authentication

    parsed: list[Any] = []
    original = authentication.header_token
    monkeypatch.setattr(
        authentication, "header_token", lambda *args: parsed.append(args) or original(*args)
    )
    _, request = _through_middleware(tokens.access())
    user, claims = CognitoAuthentication().authenticate(request)
    assert (user.username, claims["username"]) == ("alice", "alice")
    assert parsed == []  # the middleware's parse was reused

    # Without the middleware, DRF parses the header itself.
    from django.test import RequestFactory
    from rest_framework.request import Request

    plain = Request(RequestFactory().get("/drf/whoami/", **bearer(tokens.access())))
    assert CognitoAuthentication().authenticate(plain)[0].username == "alice"
    assert len(parsed) == 1


def test_a_header_replaced_after_the_middleware_is_what_drf_verifies(tokens: TokenFactory) -> None:
    # The middleware's token is taken only for the very header string it parsed: a header that
    # a later middleware replaced is parsed and verified afresh, never answered from the old one.
    from rest_framework.exceptions import AuthenticationFailed

    django_request, request = _through_middleware(tokens.access())
    now = int(time.time())
    django_request.META["HTTP_AUTHORIZATION"] = f"Bearer {tokens.access(iat=now - 7200, exp=now - 3600)}"
    with pytest.raises(AuthenticationFailed) as raised:
        CognitoAuthentication().authenticate(request)
    assert raised.value.get_codes()["code"] == "expired"

    django_request, request = _through_middleware(tokens.access())
    django_request.META["HTTP_AUTHORIZATION"] = f"Bearer {tokens.access(sub='bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee', username='bob')}"
    assert CognitoAuthentication().authenticate(request)[0].username == "bob"


def test_moto_access_token_authenticates(api_client: Any, moto_config: Any) -> None:
    alice = moto_config.login("alice")
    response = api_client.get("/drf/whoami/", **bearer(alice["AccessToken"]))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "alice"
    assert sorted(body["groups"]) == ["admins", "editors"]
    assert body["is_superuser"] is True

    bob = moto_config.login("bob")
    body = api_client.get("/drf/whoami/", **bearer(bob["AccessToken"])).json()
    assert (body["username"], body["groups"], body["is_staff"], body["is_superuser"]) == ("bob", [], False, False)


def test_moto_id_token_is_refused_where_access_tokens_are_required(api_client: Any, moto_config: Any) -> None:
    tokens = moto_config.login("alice")
    assert_rejected(api_client.get("/drf/whoami/", **bearer(tokens["IdToken"])), "invalid_token_use")


def test_moto_token_of_another_client_is_refused(api_client: Any, moto_config: Any) -> None:
    other = moto_config.new_client()
    token = moto_config.login("alice", client_id=other)["AccessToken"]
    assert_rejected(api_client.get("/drf/whoami/", **bearer(token)), "invalid_client")


def test_id_tokens_when_configured(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(TOKEN_USE="id")
    body = api_client.get("/drf/whoami/", **bearer(tokens.id())).json()
    assert (body["username"], body["email"], body["token_use"]) == ("alice", "alice@example.com", "id")
    assert_rejected(api_client.get("/drf/whoami/", **bearer(tokens.access())), "invalid_token_use")


def test_header_type_is_case_insensitive(api_client: Any, tokens: TokenFactory) -> None:
    response = api_client.get("/drf/whoami/", **bearer(tokens.access(), scheme="bearer"))
    assert response.status_code == 200


def test_custom_header_types(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(AUTH_HEADER_TYPES=("JWT", "Cognito"))
    token = tokens.access()
    assert api_client.get("/drf/whoami/", **bearer(token, scheme="JWT")).status_code == 200
    assert api_client.get("/drf/whoami/", **bearer(token, scheme="Cognito")).status_code == 200
    # Bearer is no longer ours: the header is another authenticator's, the request anonymous.
    response = api_client.get("/drf/whoami/", **bearer(token))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'JWT realm="api"'
    assert response.json() == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}


def test_cookie_source(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(COOKIE_NAME="accessToken")
    api_client.cookies["accessToken"] = tokens.access()
    response = api_client.get("/drf/whoami/")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_cookie_is_ignored_without_cookie_name(api_client: Any, tokens: TokenFactory) -> None:
    api_client.cookies["accessToken"] = tokens.access()
    assert api_client.get("/drf/public/").json() == {"authenticated": False, "class": "AnonymousUser"}


def test_header_wins_over_cookie(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(COOKIE_NAME="accessToken")
    api_client.cookies["accessToken"] = tokens.access(username="cookie-user")
    response = api_client.get("/drf/whoami/", **bearer(tokens.access(username="header-user")))
    assert response.json()["username"] == "header-user"


def test_bad_cookie_token_is_rejected(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(COOKIE_NAME="accessToken")
    api_client.cookies["accessToken"] = tokens.access(exp=int(time.time()) - 60)
    assert_rejected(api_client.get("/drf/public/"), "expired")


# --- anonymous -------------------------------------------------------------------------------


def test_no_token_is_anonymous_on_allow_any_views(api_client: Any) -> None:
    response = api_client.get("/drf/public/")
    assert response.status_code == 200
    assert response.json() == {"authenticated": False, "class": "AnonymousUser"}


def test_no_token_on_a_protected_view_is_401_without_error_code(api_client: Any) -> None:
    response = api_client.get("/drf/whoami/")
    assert response.status_code == 401
    # RFC 6750 §3.1: no error attribute when the request had no credentials.
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}


def test_other_scheme_is_left_to_other_authenticators(api_client: Any) -> None:
    response = api_client.get("/drf/public/", HTTP_AUTHORIZATION="Basic YWxpY2U6c2VjcmV0")
    assert response.json() == {"authenticated": False, "class": "AnonymousUser"}
    response = api_client.get("/drf/api-key/", HTTP_AUTHORIZATION="Basic YWxpY2U6c2VjcmV0", HTTP_X_API_KEY="letmein")
    assert response.json() == {"username": "api-key-client", "class": "ApiKeyUser"}


def test_later_authenticators_run_when_there_is_no_token(api_client: Any, tokens: TokenFactory) -> None:
    assert api_client.get("/drf/api-key/", HTTP_X_API_KEY="letmein").json()["class"] == "ApiKeyUser"
    # With a token, ours answers first.
    response = api_client.get("/drf/api-key/", HTTP_X_API_KEY="letmein", **bearer(tokens.access()))
    assert response.json() == {"username": "alice", "class": "CognitoUser"}


# --- every rejection ------------------------------------------------------------------------


def _token_for(code: str, tokens: TokenFactory, rsa_key2: Any) -> str:
    now = int(time.time())
    if code == "expired":
        return tokens.access(iat=now - 7200, exp=now - 3600)
    if code == "not_yet_valid":
        return tokens.access(iat=now + 600, exp=now + 4200)
    if code == "invalid_issuer":
        return tokens.access(iss=OTHER_ISSUER)
    if code == "invalid_token_use":
        return tokens.id()
    if code == "invalid_client":
        return tokens.access(client_id=OTHER_CLIENT_ID)
    if code == "invalid_signature":
        return TokenFactory(rsa_key2, KID).access()
    if code == "unknown_kid":
        return tokens.access(header=tokens.header(kid="no-such-key"))
    if code == "unsupported_alg":
        return tokens.access(header=tokens.header(alg="HS256"))
    if code == "malformed":
        return tokens.access()[:-1] + "!"
    raise AssertionError(code)


@pytest.mark.parametrize(
    "code",
    [
        "expired",
        "not_yet_valid",
        "invalid_issuer",
        "invalid_token_use",
        "invalid_client",
        "invalid_signature",
        "unknown_kid",
        "unsupported_alg",
        "malformed",
    ],
)
def test_each_rejection_is_401_with_its_code(
    api_client: Any, tokens: TokenFactory, rsa_key2: Any, code: str
) -> None:
    token = _token_for(code, tokens, rsa_key2)
    # Even an AllowAny view: bad credentials are an error, not anonymity.
    for url in ("/drf/whoami/", "/drf/public/"):
        response = api_client.get(url, **bearer(token))
        assert_rejected(response, code)
        assert token not in response.content.decode()


def test_missing_group_required_by_settings(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(GROUPS=["superheroes"])
    assert_rejected(api_client.get("/drf/whoami/", **bearer(tokens.access())), "missing_group")
    assert api_client.get("/drf/whoami/", **bearer(tokens.access(**{"cognito:groups": ["superheroes"]}))).status_code == 200


def test_missing_scope_required_by_settings(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(SCOPES=["api/write"])
    assert_rejected(api_client.get("/drf/whoami/", **bearer(tokens.access())), "missing_scope")
    assert api_client.get("/drf/whoami/", **bearer(tokens.access(scope="api/write"))).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer    ", "Bearer a b", "Bearer abc ", "bearer a\tb"],
)
def test_malformed_authorization_header(api_client: Any, header: str) -> None:
    assert_rejected(api_client.get("/drf/public/", HTTP_AUTHORIZATION=header), "malformed")


def test_oversized_token_is_malformed(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(MAX_TOKEN_BYTES=256)
    assert_rejected(api_client.get("/drf/whoami/", **bearer(tokens.access())), "malformed")


def test_error_body_is_detail_and_code_exactly(api_client: Any, tokens: TokenFactory) -> None:
    now = int(time.time())
    response = api_client.get("/drf/whoami/", **bearer(tokens.access(iat=now - 7200, exp=now - 3600)))
    assert response.json() == {"detail": "The token has expired.", "code": "expired"}


def test_jwks_down_is_503(
    api_client: Any, tokens: TokenFactory, fastcognito_config: Any, closed_port_url: str
) -> None:
    fastcognito_config(JWKS_URL=closed_port_url, JWKS_COOLDOWN=30)
    response = api_client.get("/drf/whoami/", **bearer(tokens.access()))
    assert response.status_code == 503
    assert response.json() == {
        "detail": "The token cannot be verified right now; try again later.",
        "code": "jwks_unavailable",
    }
    assert response["Retry-After"] == "30"
    assert "WWW-Authenticate" not in response


def test_jwks_server_error_is_503(api_client: Any, tokens: TokenFactory, fastcognito_config: Any, httpserver: Any) -> None:
    httpserver.expect_request("/broken/jwks.json").respond_with_data("oops", status=500)
    fastcognito_config(JWKS_URL=httpserver.url_for("/broken/jwks.json"))
    assert api_client.get("/drf/whoami/", **bearer(tokens.access())).status_code == 503


def test_keys_are_fetched_once_for_many_requests(api_client: Any, tokens: TokenFactory, httpserver: Any) -> None:
    for _ in range(3):
        assert api_client.get("/drf/whoami/", **bearer(tokens.access())).status_code == 200
    assert len(httpserver.log) == 1


# --- CSRF for cookie tokens ------------------------------------------------------------------

CSRF_SECRET = "A" * 32


def test_cookie_token_unsafe_method_without_csrf_is_403(
    csrf_client: Any, tokens: TokenFactory, fastcognito_config: Any
) -> None:
    fastcognito_config(COOKIE_NAME="accessToken")
    csrf_client.cookies["accessToken"] = tokens.access()
    response = csrf_client.post("/drf/whoami/", {})
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed:")

    csrf_client.cookies["csrftoken"] = CSRF_SECRET
    response = csrf_client.post("/drf/whoami/", {}, HTTP_X_CSRFTOKEN="B" * 32)
    assert response.status_code == 403
    assert response.json()["detail"] == "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."


def test_cookie_token_unsafe_method_with_csrf_is_accepted(
    csrf_client: Any, tokens: TokenFactory, fastcognito_config: Any
) -> None:
    fastcognito_config(COOKIE_NAME="accessToken")
    csrf_client.cookies["accessToken"] = tokens.access()
    csrf_client.cookies["csrftoken"] = CSRF_SECRET
    response = csrf_client.post("/drf/whoami/", {}, HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert response.status_code == 201
    assert response.json() == {"created": True, "username": "alice"}


def test_cookie_token_safe_method_needs_no_csrf(csrf_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(COOKIE_NAME="accessToken")
    csrf_client.cookies["accessToken"] = tokens.access()
    assert csrf_client.get("/drf/whoami/").status_code == 200


def test_header_token_needs_no_csrf(csrf_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(COOKIE_NAME="accessToken")
    response = csrf_client.post("/drf/whoami/", {}, **bearer(tokens.access()))
    assert response.status_code == 201


def test_anonymous_unsafe_request_needs_no_csrf(csrf_client: Any, fastcognito_config: Any) -> None:
    fastcognito_config(COOKIE_NAME="accessToken")
    assert csrf_client.post("/drf/public/", {}).json()["authenticated"] is False


# --- settings reload, the hook, throttling, queries -------------------------------------------


def test_settings_reload_rebuilds_the_verifier(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    from fastcognito.django import fastcognito_settings

    token = tokens.access(client_id=OTHER_CLIENT_ID)
    assert_rejected(api_client.get("/drf/whoami/", **bearer(token)), "invalid_client")
    first = fastcognito_settings.verifier
    fastcognito_config(CLIENT_ID=[CLIENT_ID, OTHER_CLIENT_ID])
    assert fastcognito_settings.CLIENT_ID == [CLIENT_ID, OTHER_CLIENT_ID]
    assert api_client.get("/drf/whoami/", **bearer(token)).status_code == 200
    assert fastcognito_settings.verifier is not first
    assert CognitoAuthentication.settings is fastcognito_settings


def test_client_id_none_accepts_any_client(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(CLIENT_ID=None)
    assert api_client.get("/drf/whoami/", **bearer(tokens.access(client_id=OTHER_CLIENT_ID))).status_code == 200


def test_leeway_setting(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    now = int(time.time())
    token = tokens.access(iat=now - 3600, exp=now - 30)
    assert_rejected(api_client.get("/drf/whoami/", **bearer(token)), "expired")
    fastcognito_config(LEEWAY=120)
    assert api_client.get("/drf/whoami/", **bearer(token)).status_code == 200


def test_attach_attributes_hook(api_client: Any, tokens: TokenFactory) -> None:
    response = api_client.get("/drf/hooked/", **bearer(tokens.access()))
    assert response.json() == {"department": "sales", "seen_path": "/drf/hooked/"}
    response = api_client.get("/drf/hooked/", **bearer(tokens.access(**{"cognito:groups": []})))
    assert response.json()["department"] == "none"


def test_custom_user_class(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(USER_CLASS="tests.support.django.users.TenantUser")
    response = api_client.get("/drf/whoami/", **bearer(tokens.access(**{"custom:tenant": "acme"})))
    assert response.json()["class"] == "TenantUser"
    assert response.json()["username"] == "alice@acme"


def test_user_rate_throttle_keys_on_the_cognito_sub(api_client: Any, tokens: TokenFactory) -> None:
    cache.clear()
    alice = tokens.access()
    bob = tokens.access(sub="bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", username="bob")
    assert api_client.get("/drf/throttled/", **bearer(alice)).json() == {"pk": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"}
    assert api_client.get("/drf/throttled/", **bearer(alice)).status_code == 200
    # A new token of the same user shares the budget: the key is the pk (the sub).
    assert api_client.get("/drf/throttled/", **bearer(tokens.access(jti="another"))).status_code == 429
    assert api_client.get("/drf/throttled/", **bearer(bob)).status_code == 200
    cache.clear()


@pytest.mark.django_db
def test_an_authenticated_request_makes_no_database_query(api_client: Any, tokens: TokenFactory) -> None:
    from django.db import connection

    token = tokens.access()
    with CaptureQueriesContext(connection) as queries:
        for url in ("/drf/whoami/", "/drf/perms/", "/drf/perm/group-admins/", "/plain/whoami/"):
            assert api_client.get(url, **bearer(token)).status_code == 200
    assert len(queries) == 0, [query["sql"] for query in queries.captured_queries]


@pytest.mark.django_db
def test_no_queries_with_pytest_django_fixture(
    api_client: Any, tokens: TokenFactory, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        assert api_client.post("/drf/whoami/", {}, **bearer(tokens.access())).status_code == 201


def test_token_never_reaches_logs(api_client: Any, tokens: TokenFactory, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    good = tokens.access()
    bad = tokens.access(client_id=OTHER_CLIENT_ID)
    api_client.get("/drf/whoami/", **bearer(good))
    api_client.get("/drf/whoami/", **bearer(bad))
    assert any("invalid_client" in record.getMessage() for record in caplog.records)
    for token in (good, bad):
        assert all(token not in record.getMessage() for record in caplog.records)
        assert all(token.split(".")[2] not in record.getMessage() for record in caplog.records)


# --- the exception handler ----------------------------------------------------------------------


def test_exception_handler_adds_the_code_only_to_not_authenticated() -> None:
    from rest_framework import exceptions

    from fastcognito.drf import exception_handler

    response = exception_handler(exceptions.NotAuthenticated(), {})
    assert response is not None
    assert response.data == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}
    custom = exception_handler(exceptions.NotAuthenticated("Sign in first.", code="sign_in"), {})
    assert custom is not None and custom.data == {"detail": "Sign in first.", "code": "sign_in"}
    denied = exception_handler(exceptions.PermissionDenied(), {})
    assert denied is not None and denied.data == {"detail": "You do not have permission to perform this action."}
    assert exception_handler(ValueError("not an API error"), {}) is None


def test_permission_denied_keeps_drf_body(api_client: Any, tokens: TokenFactory) -> None:
    response = api_client.get("/drf/perm/group-none/", **bearer(tokens.access()))
    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
