"""The sign-in views as classes: a site subclasses one, overrides a hook, mounts it under the same
URL name, and the hook runs; the checks, the cookies, the CSRF rotation and every protection of
the default views (decorators, hidden secrets) stay, whatever the hooks do.

Against the Cognito stand-in of ``tests.support.django.signin`` (a real HTTP server on 127.0.0.1).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.test import Client, override_settings
from django.urls import include, path

from fastcognito.django import views
from fastcognito.django.hosted_ui import HostedUIConfig
from fastcognito.exceptions import FastCognitoError
from fastcognito.oauth import SignedIn
from tests.support.django.signin import (
    ACCESS,
    PASSWORD,
    REFRESH,
    WRONG_PASSWORD,
    CognitoStandIn,
    signin,
    stand_in_settings,
)

RAN: list[str] = []


def hidden_from_error_pages(request: HttpRequest) -> bool:
    """Whether the calling hook runs below ``sensitive_variables()`` and with the reporter filter
    and ``sensitive_post_parameters`` that keep secrets off Django's error pages."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_name != "sensitive_variables_wrapper":
        frame = frame.f_back  # type: ignore[assignment]
    return (
        frame is not None
        and isinstance(getattr(request, "exception_reporter_filter", None), views.SignInReporterFilter)
        and getattr(request, "sensitive_post_parameters", None) == "__ALL__"
    )


class HookedLogin(views.LoginView):
    def get_next_url(self, request: HttpRequest, config: HostedUIConfig) -> str:
        RAN.append(f"get_next_url:{hidden_from_error_pages(request)}")
        super().get_next_url(request, config)  # still refuses a target that is not allowed
        return "/chosen-by-the-hook/"


class HookedCallback(views.CallbackView):
    def get_redirect_url(self, request: HttpRequest, config: HostedUIConfig, next_url: str) -> str:
        RAN.append(f"get_redirect_url:{next_url}")
        return super().get_redirect_url(request, config, next_url) + "?welcome=1"

    def login_success(
        self, request: HttpRequest, config: HostedUIConfig, signed: SignedIn, next_url: str
    ) -> HttpResponse:
        RAN.append(f"login_success:{signed.access_claims['username']}:{hidden_from_error_pages(request)}")
        response = super().login_success(request, config, signed, next_url)
        response["X-Hooked"] = "callback"
        return response

    def login_failure(
        self, request: HttpRequest, error: FastCognitoError, *, status: int | None = None
    ) -> HttpResponse:
        RAN.append(f"login_failure:{error.code}")
        return HttpResponseRedirect(f"/sign-in-failed/?code={error.code}")


class HookedRefresh(views.RefreshView):
    def refresh_success(self, request: HttpRequest, config: HostedUIConfig, signed: SignedIn) -> HttpResponse:
        RAN.append("refresh_success")
        response = super().refresh_success(request, config, signed)
        response["X-Hooked"] = "refresh"
        return response


class HookedLogout(views.LogoutView):
    def get_logout_url(self, request: HttpRequest, config: HostedUIConfig) -> str:
        RAN.append("get_logout_url")
        return super().get_logout_url(request, config) + "&from=hook"

    def logout_success(self, request: HttpRequest, config: HostedUIConfig, logout_url: str) -> HttpResponse:
        RAN.append("logout_success")
        return JsonResponse({"bye": True, "logout_url": logout_url})


class HookedSignIn(views.PasswordSignInView):
    def login_success(self, request: HttpRequest, config: HostedUIConfig, signed: SignedIn) -> HttpResponse:
        RAN.append(f"signin_success:{hidden_from_error_pages(request)}")
        return JsonResponse({"welcome": signed.access_claims["username"]})

    def login_failure(
        self, request: HttpRequest, error: FastCognitoError, *, status: int | None = None
    ) -> HttpResponse:
        RAN.append(f"signin_failure:{error.code}")
        answer = super().login_failure(request, error, status=status)
        answer["X-Hooked"] = "failure"
        return answer


hooked = (
    [
        path("login/", HookedLogin.as_view(), name="login"),
        path("callback/", HookedCallback.as_view(), name="callback"),
        path("refresh/", HookedRefresh.as_view(), name="refresh"),
        path("logout/", HookedLogout.as_view(), name="logout"),
        path("signin/", HookedSignIn.as_view(), name="signin"),
    ],
    "fastcognito",
)
urlpatterns = [path("auth/", include(hooked))]


@pytest.fixture
def site(cognito_stand_in: CognitoStandIn) -> Iterator[CognitoStandIn]:
    RAN.clear()
    with override_settings(FASTCOGNITO=stand_in_settings(cognito_stand_in), ROOT_URLCONF=__name__):
        yield cognito_stand_in


def test_the_function_names_are_the_classes_views() -> None:
    for name, cls in [
        ("login", views.LoginView),
        ("callback", views.CallbackView),
        ("refresh", views.RefreshView),
        ("logout", views.LogoutView),
        ("signin", views.PasswordSignInView),
    ]:
        assert getattr(views, name).view_class is cls


@pytest.mark.django_db
def test_login_and_callback_hooks_run(site: CognitoStandIn) -> None:
    browser = Client()
    started = browser.get("/auth/login/", {"next": "/articles/"})
    assert started.status_code == 302
    assert "max-age=0" in started["Cache-Control"]  # never_cache
    back = browser.get("/auth/callback/", site.authorize(started["Location"]))
    assert back.status_code == 302, back.content
    # The hook's next went through the signed state cookie to the callback's hook.
    assert back["Location"] == "/chosen-by-the-hook/?welcome=1" and back["X-Hooked"] == "callback"
    assert back.cookies[ACCESS].value and back.cookies["csrftoken"].value  # set outside the hook
    assert RAN == ["get_next_url:True", "login_success:alice:True", "get_redirect_url:/chosen-by-the-hook/"]

    # A target that is not allowed is still refused: the hook called super(), which refuses.
    assert browser.get("/auth/login/", {"next": "https://evil.example/"}).status_code == 400


@pytest.mark.django_db
def test_callback_failure_hook_and_the_state_cookie_still_used_once(site: CognitoStandIn) -> None:
    browser = Client()
    started = browser.get("/auth/login/")
    query = site.authorize(started["Location"])
    failed = browser.get("/auth/callback/", {**query, "code": ""})
    assert failed.status_code == 302 and failed["Location"] == "/sign-in-failed/?code=invalid_request"
    assert RAN[-1] == "login_failure:invalid_request"
    assert ACCESS not in failed.cookies or not failed.cookies[ACCESS].value
    # The attempt's state cookie was deleted anyway: the real code now finds no state.
    replay = browser.get("/auth/callback/", query)
    assert replay["Location"] == "/sign-in-failed/?code=invalid_state"


@pytest.mark.django_db
def test_password_signin_refresh_and_logout_hooks_run(site: CognitoStandIn) -> None:
    browser = Client()
    refused = signin(browser, "alice", WRONG_PASSWORD)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_credentials")
    assert refused["X-Hooked"] == "failure"
    signed_in = signin(browser, "alice", PASSWORD)
    assert signed_in.status_code == 200 and signed_in.json() == {"welcome": "alice"}
    assert signed_in.cookies[ACCESS].value  # the cookies are set outside the hook
    refreshed = browser.post("/auth/refresh/")
    assert refreshed.status_code == 200 and refreshed["X-Hooked"] == "refresh"
    assert set(refreshed.json()) == {"expires_in", "rotated"}
    out = browser.post("/auth/logout/")
    assert out.status_code == 200 and out.json()["bye"] is True
    assert out.json()["logout_url"].endswith("&from=hook")
    assert out.cookies[ACCESS].value == "" and out.cookies[REFRESH].value == ""  # cleared outside
    assert RAN == [
        "signin_failure:invalid_credentials",
        "signin_success:True",
        "refresh_success",
        "get_logout_url",
        "logout_success",
    ]


@pytest.mark.django_db
def test_subclasses_keep_every_protection(site: CognitoStandIn) -> None:
    strict = Client(enforce_csrf_checks=True)
    for url in ("/auth/refresh/", "/auth/logout/", "/auth/signin/"):
        assert Client().get(url).status_code == 405, url  # require_POST
        assert strict.post(url).status_code == 403, url  # csrf_protect
    for url in ("/auth/login/", "/auth/callback/"):
        assert Client().post(url).status_code == 405, url  # require_GET
    assert RAN == []
