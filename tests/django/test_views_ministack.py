"""The sign-in views (fastcognito.django.urls) end to end against ministack's managed login, and
every failure: faults come from real servers on 127.0.0.1, nothing in ``requests`` is patched."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client, override_settings

from fastcognito.django.cookies import STATE_SALT
from tests.support.django.ministack_signin import fastcognito_settings
from tests.support.django.signin import (
    ACCESS,
    PROTECTED,
    REFRESH,
    CognitoStandIn,
    assert_no_login,
    cookie,
    set_cookies,
    signin,
    stand_in_settings,
    state_cookie_name,
)
from tests.support.ministack_server import (
    LOGOUT_URI,
    PASSWORD,
    REDIRECT_URI,
    TEMPORARY_PASSWORD,
    AppClient,
    CognitoApp,
    submit_login_form,
)
from tests.support.servers import serve_answer, serve_silently

pytestmark = pytest.mark.slow



@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(params=["confidential", "public"])
def app_client(request: pytest.FixtureRequest, cognito_app: CognitoApp) -> AppClient:
    client: AppClient = getattr(cognito_app, request.param)
    return client


@pytest.fixture
def configure(cognito_app: CognitoApp) -> Iterator[Callable[..., None]]:
    """Applies FASTCOGNITO for ministack's pool; call again with HOSTED_UI overrides."""
    active: list[Any] = []

    def apply(client: AppClient | None = None, **overrides: Any) -> None:
        settings_overrides = {key: overrides.pop(key) for key in list(overrides) if key.isupper() and key == "DEBUG"}
        override = override_settings(
            FASTCOGNITO=fastcognito_settings(cognito_app, client or cognito_app.confidential, **overrides),
            **settings_overrides,
        )
        override.enable()
        active.append(override)

    try:
        yield apply
    finally:
        for override in reversed(active):
            override.disable()


@pytest.fixture
def signed_in(configure: Callable[..., None], app_client: AppClient) -> Client:
    configure(app_client)
    browser = Client()
    answer = finish_login(browser, start_login(browser))
    assert answer.status_code == 302, answer.content
    return browser


def start_login(browser: Client, **params: str) -> str:
    answer = browser.get("/auth/login/", params)
    assert answer.status_code == 302, answer.content
    return str(answer["Location"])


def finish_login(browser: Client, authorize_url: str, username: str = "alice", password: str = PASSWORD) -> Any:
    submitted = submit_login_form(authorize_url, username, password)
    assert submitted.status_code == 302, submitted.text
    location = submitted.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return browser.get("/auth/callback/", {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()})


# --- the happy path -----------------------------------------------------------------------------


def test_full_flow_login_callback_api_refresh_logout(configure: Callable[..., None], app_client: AppClient) -> None:
    configure(app_client)
    browser = Client()
    assert browser.get(PROTECTED).status_code == 401

    authorize_url = start_login(browser, next="/articles/?page=2")
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [app_client.client_id]
    _, state_name = state_cookie_name(authorize_url)
    # __Host-: a browser takes it only from this host over HTTPS, with Path=/ and no Domain.
    state_cookie = browser.cookies[state_name]
    assert state_name.startswith("__Host-fastcognito_signin_")
    assert state_cookie["httponly"] and state_cookie["secure"] and state_cookie["path"] == "/"
    assert not state_cookie["domain"]

    answer = finish_login(browser, authorize_url)
    assert answer.status_code == 302 and answer["Location"] == "/articles/?page=2"
    access = cookie(answer, ACCESS)
    assert access["httponly"] and access["secure"] and access["samesite"] == "Lax"
    assert 3500 <= access["max-age"] <= 3600  # from the token's exp
    for path in ("/auth/refresh/", "/auth/logout/"):
        refresh = cookie(answer, REFRESH, path)
        assert refresh["httponly"] and refresh["secure"] and refresh["max-age"] == 30 * 24 * 3600
    assert (REFRESH, "/") not in set_cookies(answer)  # never sent to the rest of the site
    assert cookie(answer, state_name, "/")["max-age"] == 0  # used once

    whoami = browser.get(PROTECTED)
    assert whoami.status_code == 200, whoami.content

    old_access = browser.cookies[ACCESS].value
    refreshed = browser.post("/auth/refresh/")
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json()["rotated"] is False
    assert cookie(refreshed, ACCESS).value not in ("", old_access)
    assert not any(morsel.key == REFRESH for morsel in refreshed.cookies.values())  # kept as it was
    refresh_token = browser.cookies[REFRESH].value
    assert browser.get(PROTECTED).status_code == 200

    logout = browser.post("/auth/logout/")
    assert logout.status_code == 302
    target = urlsplit(logout["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{configure_domain(browser)}/logout"
    assert parse_qs(target.query) == {"client_id": [app_client.client_id], "logout_uri": [LOGOUT_URI]}
    assert_no_login(logout)
    assert browser.get(PROTECTED).status_code == 401

    # The refresh token was revoked at Cognito: replaying it gets a 401 and clears the cookies.
    browser.cookies[REFRESH] = refresh_token
    replay = browser.post("/auth/refresh/")
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_grant"
    assert_no_login(replay)


def configure_domain(browser: Client) -> str:
    from fastcognito.django.hosted_ui import hosted_ui_config

    config = hosted_ui_config()
    assert config is not None
    return config.client.domain


def test_parallel_logins_in_two_tabs(configure: Callable[..., None]) -> None:
    configure()
    browser = Client()
    first, second = start_login(browser, next="/first/"), start_login(browser, next="/second/")
    assert finish_login(browser, second)["Location"] == "/second/"
    assert finish_login(browser, first)["Location"] == "/first/"


def test_insecure_cookies_only_on_loopback_with_debug(configure: Callable[..., None]) -> None:
    configure(DEBUG=True)
    on_loopback = Client(HTTP_HOST="127.0.0.1:8000")
    answer = finish_login(on_loopback, start_login(on_loopback))
    assert not cookie(answer, ACCESS)["secure"]
    elsewhere = Client()  # testserver, not loopback: Secure even under DEBUG
    assert cookie(finish_login(elsewhere, start_login(elsewhere)), ACCESS)["secure"]


def test_samesite_strict_leaves_the_state_cookie_lax(configure: Callable[..., None]) -> None:
    configure(COOKIE_SAMESITE="Strict", COOKIE_DOMAIN="testserver")
    browser = Client()
    authorize_url = start_login(browser)
    _, state_name = state_cookie_name(authorize_url)
    assert browser.cookies[state_name]["samesite"] == "Lax"  # the callback is a cross-site navigation
    access = cookie(finish_login(browser, authorize_url), ACCESS)
    assert access["samesite"] == "Strict" and access["domain"] == "testserver"


# --- callback failures ----------------------------------------------------------------------------


def test_missing_and_unknown_state(configure: Callable[..., None]) -> None:
    configure()
    browser = Client()
    start_login(browser)
    for params in ({"code": "abc"}, {"code": "abc", "state": "forged"}):
        answer = browser.get("/auth/callback/", params)
        assert answer.status_code == 400 and b"invalid_state" in answer.content
        assert_no_login(answer)


def test_state_from_another_browser(configure: Callable[..., None]) -> None:
    configure()
    victim, attacker = Client(), Client()
    authorize_url = start_login(attacker)
    submitted = submit_login_form(authorize_url, "alice", PASSWORD)
    query = {k: v[0] for k, v in parse_qs(urlsplit(submitted.headers["Location"]).query).items()}
    answer = victim.get("/auth/callback/", query, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_state"
    assert_no_login(answer)


def test_a_state_cookie_planted_from_another_host_is_never_read(configure: Callable[..., None]) -> None:
    # Login CSRF by cookie tossing: the attacker starts a sign-in in their own browser, signs in
    # as themselves, and plants that attempt's state cookie in the victim's browser before luring
    # it to the callback URL. A sibling subdomain (or a network attacker answering for an http://
    # one) can set a Domain= cookie of any name but a __Host- one, and the callback reads only the
    # __Host- cookie: the victim is not signed in to the attacker's account.
    configure()
    victim, attacker = Client(), Client()
    authorize_url = start_login(attacker)
    _, name = state_cookie_name(authorize_url)
    _, plantable = state_cookie_name(authorize_url, secure=False)
    assert name == "__Host-" + plantable
    victim.cookies[plantable] = attacker.cookies[name].value
    submitted = submit_login_form(authorize_url, "alice", PASSWORD)
    query = {k: v[0] for k, v in parse_qs(urlsplit(submitted.headers["Location"]).query).items()}
    answer = victim.get("/auth/callback/", query, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_state"
    assert_no_login(answer)
    # The next login/ of the victim drops the planted cookie rather than count it as pending.
    fresh = victim.get("/auth/login/")
    assert cookie(fresh, plantable, "/auth/callback/")["max-age"] == 0


def test_a_local_http_server_keeps_unprefixed_state_cookies(configure: Callable[..., None]) -> None:
    # A __Host- cookie must be Secure, which a local http development server (a loopback host
    # under DEBUG) cannot set: there the state cookie keeps its name and the callback's path.
    configure()
    with override_settings(DEBUG=True, ALLOWED_HOSTS=["127.0.0.1"]):
        browser = Client(HTTP_HOST="127.0.0.1")
        authorize_url = start_login(browser)
        _, name = state_cookie_name(authorize_url, secure=False)
        state_cookie = browser.cookies[name]
        assert not state_cookie["secure"] and state_cookie["path"] == "/auth/callback/"
        assert not any(key.startswith("__Host-") for key in browser.cookies)
        answer = finish_login(browser, authorize_url)
        assert answer.status_code == 302 and cookie(answer, ACCESS).value


def test_tampered_state_cookie(configure: Callable[..., None]) -> None:
    configure()
    browser = Client()
    authorize_url = start_login(browser)
    state, name = state_cookie_name(authorize_url)
    browser.cookies[name] = browser.cookies[name].value[:-2] + "xx"
    submitted = submit_login_form(authorize_url, "alice", PASSWORD)
    query = {k: v[0] for k, v in parse_qs(urlsplit(submitted.headers["Location"]).query).items()}
    answer = browser.get("/auth/callback/", query)
    assert answer.status_code == 400 and b"invalid_state" in answer.content


def forge_state(browser: Client, authorize_url: str, **changes: str) -> None:
    """Re-sign this browser's state cookie with ``changes`` (as if our own login had put them)."""
    _, name = state_cookie_name(authorize_url)
    payload = signing.loads(browser.cookies[name].value, salt=STATE_SALT)
    browser.cookies[name] = signing.dumps({**payload, **changes}, salt=STATE_SALT, compress=True)
    browser.cookies[name]["path"] = "/"


def test_expired_state_cookie(configure: Callable[..., None]) -> None:
    import time

    class SignedAnHourAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - 3600)

    configure()
    browser = Client()
    authorize_url = start_login(browser)
    _, name = state_cookie_name(authorize_url)
    payload = signing.loads(browser.cookies[name].value, salt=STATE_SALT)
    browser.cookies[name] = SignedAnHourAgo(salt=STATE_SALT).sign_object(payload, compress=True)
    answer = finish_login(browser, authorize_url)
    assert answer.status_code == 400 and b"invalid_state" in answer.content
    assert_no_login(answer)


def test_wrong_verifier_is_invalid_grant(configure: Callable[..., None]) -> None:
    configure()
    browser = Client()
    authorize_url = start_login(browser)
    forge_state(browser, authorize_url, v="x" * 64)
    answer = finish_login(browser, authorize_url)
    assert answer.status_code == 400 and b"invalid_grant" in answer.content
    assert_no_login(answer)


def test_wrong_nonce_is_refused(configure: Callable[..., None]) -> None:
    configure()
    browser = Client()
    authorize_url = start_login(browser)
    forge_state(browser, authorize_url, n="another-nonce")
    answer = finish_login(browser, authorize_url)
    assert answer.status_code == 401 and b"invalid_nonce" in answer.content
    assert_no_login(answer)


def test_replayed_code_is_invalid_grant(configure: Callable[..., None]) -> None:
    configure()
    browser = Client()
    authorize_url = start_login(browser)
    _, name = state_cookie_name(authorize_url)
    saved = browser.cookies[name].value
    submitted = submit_login_form(authorize_url, "alice", PASSWORD)
    query = {k: v[0] for k, v in parse_qs(urlsplit(submitted.headers["Location"]).query).items()}
    assert browser.get("/auth/callback/", query).status_code == 302
    # The same callback again: the state was used up...
    assert browser.get("/auth/callback/", query).status_code == 400
    # ...and with the state cookie put back, Cognito refuses the used code.
    browser.cookies[name] = saved
    replay = browser.get("/auth/callback/", query, HTTP_ACCEPT="application/json")
    assert replay.status_code == 400 and replay.json()["code"] == "invalid_grant"
    assert_no_login(replay)


def test_access_denied_on_the_callback(configure: Callable[..., None]) -> None:
    configure()
    browser = Client()
    state, _ = state_cookie_name(start_login(browser))
    page = browser.get("/auth/callback/", {"error": "access_denied", "error_description": "<b>no</b>", "state": state})
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert b"access_denied" in page.content and b"<b>no</b>" not in page.content
    assert_no_login(page)


def test_callback_without_code(configure: Callable[..., None]) -> None:
    configure()
    browser = Client()
    state, _ = state_cookie_name(start_login(browser))
    answer = browser.get("/auth/callback/", {"state": state}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_request"


# --- Cognito down, slow or talking nonsense --------------------------------------------------------


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    with serve_silently() as url:
        yield url


def closed_url() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# About 100,000 levels, under the 256 KiB cap on Cognito's answers: json.loads alone would raise
# RecursionError on it.
DEEP_JSON = "[" * 100_000 + "]" * 100_000
JSON, AMZ_JSON = "application/json", "application/x-amz-json-1.1"


@pytest.mark.parametrize("fault", ["down", "slow", "500", "invalid-json", "deep-json"])
def test_token_endpoint_faults_are_502(
    configure: Callable[..., None], httpserver: Any, silent_url: str, fault: str
) -> None:
    if fault == "down":
        domain = closed_url()
    elif fault == "slow":
        domain = silent_url
    else:
        answers = {"500": ("boom", 500), "invalid-json": ("{not json", 200), "deep-json": (DEEP_JSON, 200)}
        body, status = answers[fault]
        httpserver.expect_request("/oauth2/token").respond_with_data(body, status)
        domain = httpserver.url_for("").rstrip("/")
    configure(DOMAIN=domain, TIMEOUT=0.5)
    browser = Client()
    state, _ = state_cookie_name(start_login(browser))
    answer = browser.get("/auth/callback/", {"state": state, "code": "the-code"}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 502 and answer.json()["code"] == "cognito_unavailable"
    assert_no_login(answer)
    assert b"the-code" not in answer.content


def test_a_token_endpoint_that_trickles_is_cut_at_timeout(configure: Callable[..., None]) -> None:
    # One byte a second, each within the read timeout: TIMEOUT=1 bounds the whole call to 2 s.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n"
    with serve_answer(head, iter([b" "] * 30), pause=1.0) as (url, _):
        configure(DOMAIN=url, TIMEOUT=1)
        browser = Client()
        state, _ = state_cookie_name(start_login(browser))
        started = time.monotonic()
        query = {"state": state, "code": "the-code"}
        answer = browser.get("/auth/callback/", query, HTTP_ACCEPT="application/json")
        elapsed = time.monotonic() - started
    assert answer.status_code == 502 and answer.json()["code"] == "cognito_unavailable"
    assert_no_login(answer)
    assert elapsed < 1 + 1 + 1 + 0.5, elapsed  # connect + read in total, give or take one read


def test_refresh_with_cognito_down_keeps_the_cookies(signed_in: Client, configure: Callable[..., None]) -> None:
    configure(DOMAIN=closed_url())
    answer = signed_in.post("/auth/refresh/")
    assert answer.status_code == 502 and answer.json()["code"] == "cognito_unavailable"
    assert not answer.cookies
    assert signed_in.get(PROTECTED).status_code == 200


def test_refresh_answered_with_deep_json_is_502_and_keeps_the_cookies(
    signed_in: Client, configure: Callable[..., None], httpserver: Any
) -> None:
    httpserver.expect_request("/oauth2/token").respond_with_data(DEEP_JSON, 400, content_type=JSON)
    configure(DOMAIN=httpserver.url_for("").rstrip("/"))
    answer = signed_in.post("/auth/refresh/")
    assert answer.status_code == 502 and answer.json()["code"] == "cognito_unavailable"
    assert not answer.cookies
    assert signed_in.get(PROTECTED).status_code == 200


# --- next -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "http://app.example.com/",  # an allowed host, but not over https from an https page
    ],
)
def test_disallowed_next_is_refused(configure: Callable[..., None], next_url: str) -> None:
    configure()
    answer = Client().get("/auth/login/", {"next": next_url}, secure=True, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_redirect"
    assert not answer.cookies


@pytest.mark.parametrize("next_url", ["/articles/", "https://app.example.com/home", "http://testserver/x"])
def test_allowed_next(configure: Callable[..., None], next_url: str) -> None:
    configure()
    browser = Client()
    assert finish_login(browser, start_login(browser, next=next_url))["Location"] == next_url


# Django checks the stripped value, and at most 2048 characters of it; it redirects to the value as
# given, and refuses a redirect longer than 16384 characters.
PADDED_NEXT = "/welcome/" + " " * 16_400


@pytest.mark.parametrize("next_url", [PADDED_NEXT, " /welcome/", "/welcome/\t", "/welcome/\n"])
def test_next_with_space_around_it_is_refused_at_login(configure: Callable[..., None], next_url: str) -> None:
    configure()
    answer = Client().get("/auth/login/", {"next": next_url}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_redirect"
    assert not answer.cookies  # no state cookie: nothing of the attempt is stored


def session_login_settings(stand_in: CognitoStandIn) -> dict[str, Any]:
    return {**stand_in_settings(stand_in), "REPLICA": {"SESSION_LOGIN": True}}


@pytest.mark.django_db
def test_a_stored_next_django_cannot_redirect_to_falls_back_before_the_session_login(
    cognito_stand_in: CognitoStandIn,
) -> None:
    # A state cookie signed before login/ refused such values: the callback must not half-sign-in.
    from django.contrib.auth import SESSION_KEY

    with override_settings(FASTCOGNITO=session_login_settings(cognito_stand_in)):
        browser = Client(raise_request_exception=False)
        authorize_url = start_login(browser)
        forge_state(browser, authorize_url, next=PADDED_NEXT)
        answer = browser.get("/auth/callback/", cognito_stand_in.authorize(authorize_url))
        assert answer.status_code == 302 and answer["Location"] == "/"  # LOGIN_REDIRECT_URL
        assert cookie(answer, ACCESS).value and browser.session.get(SESSION_KEY)


@pytest.mark.django_db
def test_an_answer_that_cannot_be_built_leaves_no_session_login(
    cognito_stand_in: CognitoStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A site's login_success hook that redirects where Django refuses to: the answer is built
    # before the session login and the cookies, so its failure keeps nothing of the sign-in.
    from django.contrib.auth import SESSION_KEY
    from django.http import HttpResponseRedirect

    from fastcognito.django.views import CallbackView

    def redirect_too_far(self: CallbackView, request: Any, config: Any, signed: Any, next_url: str) -> Any:
        return HttpResponseRedirect(PADDED_NEXT)

    monkeypatch.setattr(CallbackView, "login_success", redirect_too_far)
    with override_settings(FASTCOGNITO=session_login_settings(cognito_stand_in)):
        browser = Client(raise_request_exception=False)
        authorize_url = start_login(browser)
        _, state_cookie = state_cookie_name(authorize_url)
        answer = browser.get(
            "/auth/callback/", cognito_stand_in.authorize(authorize_url), HTTP_ACCEPT="application/json"
        )
        assert answer.status_code == 400 and answer.json()["code"] == "invalid_redirect"
        assert_no_login(answer)
        assert ACCESS not in answer.cookies and not browser.session.get(SESSION_KEY)
        assert answer.cookies[state_cookie]["max-age"] == 0  # the attempt is used up all the same


# --- refresh ----------------------------------------------------------------------------------------


def test_refresh_without_cookie(configure: Callable[..., None]) -> None:
    configure()
    answer = Client().post("/auth/refresh/")
    assert answer.status_code == 401 and answer.json()["code"] == "not_signed_in"


def test_unknown_refresh_token_clears_every_cookie(signed_in: Client) -> None:
    signed_in.cookies[REFRESH] = "unknown-refresh-token"
    answer = signed_in.post("/auth/refresh/")
    assert answer.status_code == 401 and answer.json()["code"] == "invalid_grant"
    assert_no_login(answer)
    assert {(name, path) for name, path in set_cookies(answer)} >= {
        (ACCESS, "/"),
        (REFRESH, "/auth/refresh/"),
        (REFRESH, "/auth/logout/"),
    }
    assert signed_in.get(PROTECTED).status_code == 401


def test_expired_refresh_token(cognito_app: CognitoApp, configure: Callable[..., None], httpserver: Any) -> None:
    # Cognito answers an expired refresh token with invalid_grant; ministack never expires one.
    httpserver.expect_request("/oauth2/token").respond_with_json(
        {"error": "invalid_grant", "error_description": "Refresh Token has expired"}, status=400
    )
    configure(DOMAIN=httpserver.url_for("").rstrip("/"))
    browser = Client()
    browser.cookies[REFRESH] = "an-expired-refresh-token"
    answer = browser.post("/auth/refresh/")
    assert answer.status_code == 401 and answer.json()["code"] == "invalid_grant"
    assert_no_login(answer)


def test_rotated_refresh_token_is_stored(cognito_app: CognitoApp, configure: Callable[..., None], httpserver: Any) -> None:
    from fastcognito.oauth import CognitoOAuthClient

    issued = CognitoOAuthClient(
        domain=cognito_app.url,
        client_id=cognito_app.public.client_id,
        redirect_uri=REDIRECT_URI,
        api_url=cognito_app.url,
    ).initiate_auth("alice", PASSWORD)
    httpserver.expect_request("/oauth2/token").respond_with_json(
        {"access_token": issued.access_token, "id_token": issued.id_token, "refresh_token": "rotated-refresh",
         "expires_in": 3600, "token_type": "Bearer"}
    )
    configure(cognito_app.public, DOMAIN=httpserver.url_for("").rstrip("/"))
    browser = Client()
    browser.cookies[REFRESH] = "old-refresh"
    answer = browser.post("/auth/refresh/")
    assert answer.status_code == 200 and answer.json()["rotated"] is True
    assert cookie(answer, REFRESH, "/auth/refresh/").value == "rotated-refresh"
    assert cookie(answer, REFRESH, "/auth/logout/").value == "rotated-refresh"


# --- CSRF ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/auth/refresh/", "/auth/logout/", "/auth/signin/"])
def test_post_endpoints_need_a_csrf_token(signed_in: Client, url: str) -> None:
    careful = Client(enforce_csrf_checks=True)
    careful.cookies = signed_in.cookies
    assert careful.post(url).status_code == 403
    assert careful.get(PROTECTED).status_code == 200  # nothing was cleared
    from django.utils.crypto import get_random_string

    token = get_random_string(32)
    careful.cookies["csrftoken"] = token
    assert careful.post(url, HTTP_X_CSRFTOKEN=token).status_code not in (403, 500)
    with_json = careful.post(url, "{}", content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert with_json.status_code not in (403, 500)


@pytest.mark.parametrize("url", ["/auth/refresh/", "/auth/logout/", "/auth/signin/", "/auth/callback/"])
def test_wrong_methods(configure: Callable[..., None], url: str) -> None:
    configure()
    method = Client().get if url != "/auth/callback/" else Client().post
    assert method(url).status_code == 405


# --- logout -------------------------------------------------------------------------------------------


def test_logout_when_revocation_fails(
    signed_in: Client, configure: Callable[..., None], httpserver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/").respond_with_data("unavailable", 503)
    configure(API_URL=httpserver.url_for("/"))
    refresh_token = signed_in.cookies[REFRESH].value
    with caplog.at_level(logging.WARNING, logger="fastcognito"):
        answer = signed_in.post("/auth/logout/")
    assert answer.status_code == 302 and "/logout?" in answer["Location"]
    assert_no_login(answer)
    assert signed_in.get(PROTECTED).status_code == 401
    assert any("could not be revoked" in record.getMessage() for record in caplog.records)
    assert refresh_token not in caplog.text


@pytest.mark.parametrize("status", [200, 400])
def test_logout_when_revocation_is_answered_with_deep_json(
    signed_in: Client, configure: Callable[..., None], httpserver: Any, status: int
) -> None:
    httpserver.expect_request("/").respond_with_data(DEEP_JSON, status, content_type=AMZ_JSON)
    configure(API_URL=httpserver.url_for("/"))
    browser = Client(raise_request_exception=False)
    browser.cookies = signed_in.cookies
    answer = browser.post("/auth/logout/")
    assert answer.status_code == 302 and "/logout?" in answer["Location"]
    assert answer.cookies[ACCESS]["max-age"] == 0 and answer.cookies[REFRESH]["max-age"] == 0
    assert browser.get(PROTECTED).status_code == 401


class RevokeBroke(RuntimeError):
    pass


def test_logout_goes_on_whatever_revoke_raises(
    signed_in: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # No server makes revoke() raise anything but our errors; a subclass of the client or a
    # library below it can. The sign-out must not depend on it.
    from fastcognito.oauth import CognitoOAuthClient

    refresh_token = signed_in.cookies[REFRESH].value

    def broken_revoke(self: CognitoOAuthClient, token: str) -> None:
        raise RevokeBroke(f"could not revoke {token}")

    monkeypatch.setattr(CognitoOAuthClient, "revoke", broken_revoke)
    browser = Client(raise_request_exception=False)
    browser.cookies = signed_in.cookies
    with caplog.at_level(logging.WARNING, logger="fastcognito"):
        answer = browser.post("/auth/logout/")
    assert answer.status_code == 302 and "/logout?" in answer["Location"]
    assert answer.cookies[ACCESS]["max-age"] == 0 and answer.cookies[REFRESH]["max-age"] == 0
    assert browser.get(PROTECTED).status_code == 401
    assert any("RevokeBroke" in record.getMessage() for record in caplog.records)
    assert refresh_token not in caplog.text


def test_password_sign_in_answered_with_deep_json_is_502(
    configure: Callable[..., None], httpserver: Any
) -> None:
    httpserver.expect_request("/").respond_with_data(DEEP_JSON, 400, content_type=AMZ_JSON)
    configure(API_URL=httpserver.url_for("/"))
    answer = signin(Client(), "alice", PASSWORD)
    assert answer.status_code == 502 and answer.json()["code"] == "cognito_unavailable"
    assert_no_login(answer)


def test_logout_without_sign_in_still_goes_to_cognito(configure: Callable[..., None]) -> None:
    configure()
    answer = Client().post("/auth/logout/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200 and "/logout?" in answer.json()["logout_url"]


# --- password sign-in -------------------------------------------------------------------------------


def test_password_sign_in_sets_the_same_cookies(configure: Callable[..., None], app_client: AppClient) -> None:
    configure(app_client)
    browser = Client()
    answer = signin(browser, "alice", PASSWORD)
    assert answer.status_code == 200, answer.content
    access = cookie(answer, ACCESS)
    assert access["httponly"] and access["secure"] and access["samesite"] == "Lax" and access["max-age"] > 3000
    assert cookie(answer, REFRESH, "/auth/refresh/")["httponly"]
    assert browser.get(PROTECTED).status_code == 200
    assert browser.post("/auth/refresh/").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_answer(configure: Callable[..., None], app_client: AppClient) -> None:
    configure(app_client)
    wrong = signin(Client(), "alice", "Wrong-password-1!")
    unknown = signin(Client(), "nobody-at-all", "Wrong-password-1!")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "incorrect username or password", "code": "invalid_credentials"}
    assert not wrong.cookies and not unknown.cookies


def test_new_password_required(configure: Callable[..., None], cognito_app: CognitoApp) -> None:
    configure(SIGNIN_MAX_FAILURES=2)
    for _ in range(3):  # the password is right: challenges never count towards the throttle
        answer = signin(Client(), cognito_app.new_password_username, TEMPORARY_PASSWORD)
        assert answer.status_code == 401 and answer.json()["code"] == "challenge_required"
        assert not answer.cookies


@pytest.mark.parametrize(
    "body", ["not json", json.dumps([1]), json.dumps({"username": "alice"}), json.dumps({"username": 1, "password": "x"})]
)
def test_malformed_sign_in(configure: Callable[..., None], body: str) -> None:
    configure()
    answer = Client().post("/auth/signin/", body, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_request"
    as_form = Client().post("/auth/signin/", {"username": "alice", "password": PASSWORD})
    assert as_form.status_code == 400 and as_form.json()["code"] == "invalid_request"


def test_repeated_failures_are_throttled(configure: Callable[..., None]) -> None:
    configure(SIGNIN_MAX_FAILURES=3, SIGNIN_FAILURE_WINDOW=120)
    browser = Client()
    for _ in range(3):
        assert signin(browser, "alice", "Wrong-password-1!").status_code == 401
    blocked = signin(browser, "ALICE", PASSWORD)  # even the right password, in any case
    assert blocked.status_code == 429 and blocked.json()["code"] == "throttled"
    assert blocked["Retry-After"] == "120"
    # Per user name *and* address: the right password from another address still signs in...
    assert signin(Client(REMOTE_ADDR="10.0.0.9"), "alice", PASSWORD).status_code == 200
    assert signin(browser, "someone-else", "Wrong-password-1!").status_code == 401  # ...not per site


def test_oversized_sign_in_body_is_refused(configure: Callable[..., None]) -> None:
    configure()
    body = json.dumps({"username": "alice", "password": PASSWORD, "padding": "x" * 10_000})
    answer = Client().post("/auth/signin/", body, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_request"
    assert not answer.cookies


def test_a_success_clears_the_count_of_its_user_and_address(cognito_stand_in: CognitoStandIn) -> None:
    """Counted before Cognito is called, an attempt is given back unless its password was wrong."""
    settings_value = stand_in_settings(
        cognito_stand_in, SIGNIN_MAX_FAILURES=3, SIGNIN_MAX_FAILURES_PER_ADDRESS=5
    )
    with override_settings(FASTCOGNITO=settings_value):
        alice = Client(REMOTE_ADDR="10.0.0.7")
        for _ in range(2):
            assert signin(alice, "alice", "Wrong-password-1!").status_code == 401
        assert signin(alice, "alice", PASSWORD).status_code == 200
        for _ in range(2):  # the two failures before the success are forgotten
            assert signin(alice, "alice", "Wrong-password-1!").status_code == 401
        for _ in range(6):  # successes never count against the address
            assert signin(Client(REMOTE_ADDR="10.0.0.7"), "bob", PASSWORD).status_code == 200
    assert cognito_stand_in.calls["InitiateAuth"] == 11


def test_failures_per_address_are_throttled(configure: Callable[..., None]) -> None:
    configure(SIGNIN_MAX_FAILURES_PER_ADDRESS=2)
    browser = Client(REMOTE_ADDR="10.0.0.7")
    for name in ("u1", "u2"):
        assert signin(browser, name, "Wrong-password-1!").status_code == 401
    assert signin(browser, "alice", PASSWORD).status_code == 429
    assert signin(Client(REMOTE_ADDR="10.0.0.8"), "alice", PASSWORD).status_code == 200


# --- settings ---------------------------------------------------------------------------------------


def test_not_configured_answers_503_not_500() -> None:
    answer = Client().get("/auth/login/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 503 and answer.json()["code"] == "configuration"


# --- automatic refresh in CognitoMiddleware -----------------------------------------------------------


def signed_in_by_password(browser: Client) -> None:
    answer = signin(browser, "alice", PASSWORD)
    assert answer.status_code == 200, answer.content


@pytest.fixture
def stand_in_auto_refresh(cognito_stand_in: CognitoStandIn) -> Iterator[CognitoStandIn]:
    """AUTO_REFRESH against the stand-in, which can issue expired access tokens."""
    with override_settings(FASTCOGNITO=stand_in_settings(cognito_stand_in, AUTO_REFRESH=True)):
        yield cognito_stand_in


def test_auto_refresh_of_an_expired_access_cookie(stand_in_auto_refresh: CognitoStandIn) -> None:
    browser = Client()
    answer = signin(browser, "alice", PASSWORD)
    assert cookie(answer, REFRESH, "/")["httponly"]  # the middleware needs it on every path
    # Kept past the token's exp, as long as the refresh cookie: the expired token is what
    # the middleware refreshes, never a refresh cookie alone.
    assert cookie(answer, ACCESS)["max-age"] == cookie(answer, REFRESH, "/")["max-age"] == 30 * 24 * 3600
    browser.cookies[ACCESS] = stand_in_auto_refresh.access_token("alice", expired=True)  # an hour later
    refreshed = browser.get(PROTECTED)
    assert refreshed.status_code == 200, refreshed.content
    new_access = cookie(refreshed, ACCESS)
    assert new_access.value and new_access["httponly"] and new_access["max-age"] > 3000
    assert browser.get(PROTECTED).status_code == 200
    assert not browser.get(PROTECTED).cookies  # a valid access cookie: no refresh
    assert stand_in_auto_refresh.calls["refresh_token"] == 1


def test_no_auto_refresh_without_an_access_cookie(stand_in_auto_refresh: CognitoStandIn) -> None:
    # Changed with the security review (issue 17, finding 4): a refresh cookie alone used to
    # call Cognito, which let anonymous requests make us call it without bound.
    browser = Client()
    browser.cookies[REFRESH] = stand_in_auto_refresh.refresh_token("alice")
    answer = browser.get(PROTECTED)
    assert answer.status_code == 401 and not answer.cookies
    assert stand_in_auto_refresh.calls["refresh_token"] == 0


def test_expired_access_cookie_without_refresh_cookie_is_dropped(
    stand_in_auto_refresh: CognitoStandIn,
) -> None:
    """Kept past its exp for AUTO_REFRESH, the access cookie could outlive the refresh cookie:
    it is then dropped, not refreshed, and the request is anonymous (not a 401 `expired`, which
    DRF would answer even on a public view)."""
    browser = Client()
    browser.cookies[ACCESS] = stand_in_auto_refresh.access_token("alice", expired=True)
    answer = browser.get("/drf/public/")
    assert answer.status_code == 200, answer.content
    assert cookie(answer, ACCESS).value == "" and cookie(answer, ACCESS)["max-age"] == 0
    assert sum(stand_in_auto_refresh.calls.values()) == 0


def test_auto_refresh_with_a_refused_refresh_token_signs_out(stand_in_auto_refresh: CognitoStandIn) -> None:
    browser = Client()
    browser.cookies[ACCESS] = stand_in_auto_refresh.access_token("alice", expired=True)
    browser.cookies[REFRESH] = "unknown-refresh-token"
    answer = browser.get(PROTECTED)
    assert answer.status_code == 401
    assert_no_login(answer)
    assert cookie(answer, REFRESH, "/").value == ""


def test_auto_refresh_with_cognito_down_keeps_the_cookies(cognito_stand_in: CognitoStandIn) -> None:
    browser = Client()
    browser.cookies[ACCESS], browser.cookies[REFRESH] = cognito_stand_in.expired_session("alice")
    down = stand_in_settings(cognito_stand_in, AUTO_REFRESH=True, DOMAIN=closed_url())
    with override_settings(FASTCOGNITO=down):
        answer = browser.get(PROTECTED)
    assert answer.status_code == 401 and not answer.cookies


def test_no_auto_refresh_by_default(configure: Callable[..., None]) -> None:
    configure()
    browser = Client()
    signed_in_by_password(browser)
    del browser.cookies[ACCESS]
    browser.cookies[REFRESH] = browser.cookies[REFRESH].value  # even if the cookie reached every path
    answer = browser.get(PROTECTED)
    assert answer.status_code == 401 and not answer.cookies


def test_auto_refresh_in_async_stacks(stand_in_auto_refresh: CognitoStandIn) -> None:
    import asyncio

    from django.http import HttpResponse
    from django.test import RequestFactory

    from fastcognito.django.autorefresh import arefresh_expired_access

    request = RequestFactory().get(PROTECTED)
    request.COOKIES[ACCESS], request.COOKIES[REFRESH] = stand_in_auto_refresh.expired_session("alice")
    expired = request.COOKIES[ACCESS]
    finish = asyncio.run(arefresh_expired_access(request))
    assert finish is not None and request.COOKIES[ACCESS] != expired
    assert cookie(finish(HttpResponse()), ACCESS).value == request.COOKIES[ACCESS]


def test_logout_revokes_the_access_token_everywhere(cognito_app: CognitoApp) -> None:
    """With DENYLIST, a copy of the signed-out access token (another tab, a stolen cookie) is
    refused from the next request on, although Cognito's revocation cannot be seen offline."""
    settings_value = {**fastcognito_settings(cognito_app, cognito_app.confidential), "DENYLIST": "default"}
    with override_settings(FASTCOGNITO=settings_value):
        browser = Client()
        answer = finish_login(browser, start_login(browser))
        assert answer.status_code == 302, answer.content
        copy = Client()
        copy.cookies[ACCESS] = browser.cookies[ACCESS].value
        assert copy.get(PROTECTED).status_code == 200  # now in the claims cache
        assert browser.post("/auth/logout/").status_code == 302
        refused = copy.get(PROTECTED)
        assert refused.status_code == 401
        assert refused.json() == {"detail": "The token has been revoked.", "code": "revoked"}
        # A new sign-in is a new origin_jti: not refused.
        again = Client()
        assert finish_login(again, start_login(again)).status_code == 302
        assert again.get(PROTECTED).status_code == 200
