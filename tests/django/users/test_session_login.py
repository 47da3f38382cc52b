"""The replica's session login after sign-in (REPLICA["SESSION_LOGIN"]): the admin and session
views know the Cognito user, and the sign-out ends the session. Against ministack's managed login."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.test import Client, override_settings

from fastcognito.django.users import UserRefusedError
from fastcognito.django.users.models import CognitoIdentity
from tests.support.django.ministack_signin import ACCESS, fastcognito_settings, sign_in
from tests.support.ministack_server import PASSWORD, CognitoApp, Ministack, create_app

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def staff_app(ministack: Ministack) -> CognitoApp:
    """A pool of its own whose alice is in the "staff" group (the shared pool stays as it is)."""
    app = create_app(ministack.url, suffix="-replica-session")
    api = app.api()
    api.create_group(UserPoolId=app.pool_id, GroupName="staff")
    api.admin_add_user_to_group(UserPoolId=app.pool_id, Username="alice", GroupName="staff")
    return app


@pytest.fixture
def configure(staff_app: CognitoApp) -> Iterator[Callable[..., None]]:
    active: list[Any] = []

    def apply(**replica: Any) -> None:
        settings = fastcognito_settings(staff_app, staff_app.confidential)
        settings.update(STAFF_GROUPS=["staff"], REPLICA={"SESSION_LOGIN": True, **replica})
        override = override_settings(FASTCOGNITO=settings)
        override.enable()
        active.append(override)

    apply()
    try:
        yield apply
    finally:
        for override in reversed(active):
            override.disable()


def test_sign_in_logs_into_the_session_and_sign_out_ends_it(configure: Any) -> None:
    browser = Client()
    answer = sign_in(browser)
    assert answer.status_code == 302, answer.content
    user = User.objects.get(username="alice")
    assert user.email == "alice@example.com" and user.is_staff
    assert CognitoIdentity.objects.get(user=user)
    assert browser.session[SESSION_KEY] == str(user.pk)

    # Without the token cookie, the session alone knows the user: session views and the admin.
    del browser.cookies[ACCESS]
    whoami = browser.get("/session/whoami/").json()
    assert whoami["authenticated"] and whoami["class"] == "User" and whoami["username"] == "alice"
    assert browser.get("/admin/").status_code == 200

    logout = browser.post("/auth/logout/")
    assert logout.status_code == 302
    assert SESSION_KEY not in browser.session
    assert browser.get("/session/whoami/").json()["authenticated"] is False
    assert browser.get("/admin/").status_code == 302  # to the admin's login page


def test_the_password_sign_in_logs_into_the_session_too(configure: Any) -> None:
    browser = Client()
    answer = browser.post("/auth/signin/", {"username": "alice", "password": PASSWORD}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert browser.session[SESSION_KEY] == str(User.objects.get(username="alice").pk)


def refuse_everyone(claims: Any) -> dict[str, Any]:
    raise UserRefusedError("nobody may sign in here")


def test_a_refused_user_gets_no_session_and_no_cookies(configure: Any) -> None:
    configure(USER_FIELDS=f"{__name__}.refuse_everyone")
    browser = Client()
    answer = sign_in(browser)
    assert answer.status_code == 401
    assert b"user_refused" in answer.content
    assert SESSION_KEY not in browser.session
    assert not any(morsel.key == ACCESS and morsel.value for morsel in answer.cookies.values())
    assert not User.objects.filter(username="alice").exists()


def test_without_session_login_no_user_is_written(configure: Any) -> None:
    configure(SESSION_LOGIN=False)
    browser = Client()
    assert sign_in(browser).status_code == 302
    assert SESSION_KEY not in browser.session
    assert not User.objects.exists()
