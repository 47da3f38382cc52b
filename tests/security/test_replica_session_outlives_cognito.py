"""Finding 8 (issue 17): an admin session outlived the Cognito user.

With ``REPLICA["SESSION_LOGIN"]`` a staff user signed in, was then removed from the staff group,
signed out globally and disabled in Cognito, and ``GET /admin/`` with the session cookie still
answered 200 for the whole ``SESSION_COOKIE_AGE``. ``SessionRefreshMiddleware`` now binds the
session to the Cognito sign-in: at the access token's ``exp`` it refreshes at Cognito and syncs
the user again, and it ends the session when Cognito refuses, at once when the sign-in is revoked
on the denylist. Against a ministack run with ``AUTH=true``, whose Cognito refuses a disabled or
signed-out user's refresh token as AWS does; the time is moved by making the session's check due.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connections
from django.test import Client, override_settings

from fastcognito.django.conf import fastcognito_settings as settings_of_fastcognito
from fastcognito.django.hosted_ui import hosted_ui_config
from fastcognito.django.users.middleware import SESSION_SIGNIN_KEY
from tests.support.django.ministack_signin import (
    ACCESS,
    fastcognito_settings,
    password_sign_in,
    recheck_due,
    sign_in,
    strict_ministack,  # noqa: F401  (module fixture)
)
from tests.support.ministack_server import PASSWORD, TEMPORARY_PASSWORD, CognitoApp, Ministack, create_app

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ADMIN = "/admin/"
REFRESH = "fastcognito_refresh"


@pytest.fixture(scope="module")
def app(strict_ministack: Ministack) -> CognitoApp:  # noqa: F811
    app = create_app(strict_ministack.url, suffix="-session-binding")
    app.api().create_group(UserPoolId=app.pool_id, GroupName="staff")
    return app


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(app: CognitoApp, request: pytest.FixtureRequest) -> str:
    """A new pool user in the staff group, named after the test."""
    name = f"staff-{abs(hash(request.node.nodeid)) % 10**8}"
    api = app.api()
    api.admin_create_user(
        UserPoolId=app.pool_id,
        Username=name,
        TemporaryPassword=TEMPORARY_PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}],
    )
    api.admin_set_user_password(UserPoolId=app.pool_id, Username=name, Password=PASSWORD, Permanent=True)
    api.admin_add_user_to_group(UserPoolId=app.pool_id, Username=name, GroupName="staff")
    return name


@pytest.fixture
def configure(app: CognitoApp) -> Iterator[Callable[..., dict[str, Any]]]:
    """FASTCOGNITO for the strict pool with the session login; call again with overrides."""
    active: list[Any] = []

    def apply(hosted: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
        config = fastcognito_settings(app, app.confidential, **(hosted or {}))
        config.update(STAFF_GROUPS=["staff"], REPLICA={"SESSION_LOGIN": True}, **top)
        override = override_settings(FASTCOGNITO=config)
        override.enable()
        active.append(override)
        return config

    apply()
    try:
        yield apply
    finally:
        for override in reversed(active):
            override.disable()


def signed_in(staff: str, *, managed_login: bool = False) -> Client:
    """A browser whose session (alone: the access cookie is dropped) opens the admin."""
    browser = Client()
    answer = sign_in(browser, staff) if managed_login else password_sign_in(browser, staff)
    assert answer.status_code in (200, 302), answer.content
    del browser.cookies[ACCESS]
    assert browser.get(ADMIN).status_code == 200
    return browser


def assert_signed_out(browser: Client, answer: Any) -> None:
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    assert SESSION_KEY not in browser.session and SESSION_SIGNIN_KEY not in browser.session
    assert browser.get("/session/whoami/").json()["authenticated"] is False
    assert browser.get(ADMIN).status_code == 302


def test_a_user_disabled_in_cognito_loses_the_admin_session(
    app: CognitoApp, configure: Any, staff: str
) -> None:
    browser = signed_in(staff, managed_login=True)
    app.api().admin_disable_user(UserPoolId=app.pool_id, Username=staff)
    # Until the access token's exp the sign-in stands (as the token itself does)...
    assert browser.get(ADMIN).status_code == 200
    # ...then Cognito is asked again, refuses the refresh token, and the session ends.
    recheck_due(browser)
    answer = browser.get(ADMIN)
    assert_signed_out(browser, answer)
    # The token cookies go with it: the refresh token they hold was refused.
    assert any(m.key == REFRESH and m.value == "" for m in answer.cookies.values())


def test_the_async_stack_ends_the_session_too(app: CognitoApp, configure: Any, staff: str) -> None:
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    browser = signed_in(staff)
    app.api().admin_disable_user(UserPoolId=app.pool_id, Username=staff)
    recheck_due(browser)

    async def admin() -> Any:
        tab = AsyncClient()
        tab.cookies[settings.SESSION_COOKIE_NAME] = browser.cookies[settings.SESSION_COOKIE_NAME].value
        return await tab.get(ADMIN)

    answer = async_to_sync(admin)()
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    assert SESSION_KEY not in browser.session


def test_a_user_signed_out_globally_loses_the_admin_session(
    app: CognitoApp, configure: Any, staff: str
) -> None:
    browser = signed_in(staff)
    app.api().admin_user_global_sign_out(UserPoolId=app.pool_id, Username=staff)
    recheck_due(browser)
    assert_signed_out(browser, browser.get(ADMIN))


def test_a_user_removed_from_the_staff_group_loses_the_admin(
    app: CognitoApp, configure: Any, staff: str
) -> None:
    browser = signed_in(staff)
    # Still in the group: the check refreshes, syncs and keeps the session until the new exp.
    before = browser.session[SESSION_SIGNIN_KEY]
    recheck_due(browser)
    assert browser.get(ADMIN).status_code == 200
    after = browser.session[SESSION_SIGNIN_KEY]
    assert after["recheck_at"] >= before["recheck_at"] > 0

    app.api().admin_remove_user_from_group(UserPoolId=app.pool_id, Username=staff, GroupName="staff")
    recheck_due(browser)
    answer = browser.get(ADMIN)
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    user = User.objects.get(username=staff)
    assert not user.is_staff and not user.groups.exists()
    # Still a Cognito user, signed in: the session stays, without the admin.
    assert browser.session[SESSION_KEY] == str(user.pk)


def test_a_sign_in_revoked_on_the_denylist_ends_the_session_at_once(configure: Any, staff: str) -> None:
    configure(DENYLIST="default")
    browser = Client()
    answer = password_sign_in(browser, staff)
    assert answer.status_code == 200, answer.content
    # Revoked elsewhere (another device's sign-out of this sign-in, an operator): no recheck due.
    verifier = settings_of_fastcognito.verifier
    verifier.revoke(verifier.verify(answer.cookies[ACCESS].value))
    del browser.cookies[ACCESS]
    assert_signed_out(browser, browser.get(ADMIN))


def test_cognito_unreachable_is_anonymous_but_keeps_the_session(
    configure: Any, staff: str, closed_port_url: str
) -> None:
    browser = signed_in(staff)
    recheck_due(browser)
    down = closed_port_url.rsplit("/", 1)[0]
    configure({"DOMAIN": down})
    assert browser.get(ADMIN).status_code == 302  # fail closed
    assert SESSION_KEY in browser.session and browser.session[SESSION_SIGNIN_KEY]["recheck_at"] == 0
    configure()
    assert browser.get(ADMIN).status_code == 200  # checked again, and refreshed
    assert browser.session[SESSION_SIGNIN_KEY]["recheck_at"] > 0


def test_the_denylist_unreachable_is_anonymous_but_keeps_the_session(
    configure: Any, staff: str, redis_server: Any
) -> None:
    with override_settings(CACHES={**settings.CACHES, "revoked": redis_server.cache_settings()}):
        configure(DENYLIST="revoked")
        browser = signed_in(staff)
        redis_server.stop()
        assert browser.get(ADMIN).status_code == 302  # a revocation cannot be ruled out
        assert SESSION_KEY in browser.session
        redis_server.start()
        assert browser.get(ADMIN).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_at_the_recheck_refresh_once(configure: Any, staff: str) -> None:
    # Sessions in the (process-wide) cache, so that every thread reads and writes one store.
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache"):
        browser = signed_in(staff)
        recheck_due(browser)
        refreshes: list[int] = []
        counting = threading.Lock()

        def count(response: Any, *args: Any, **kwargs: Any) -> None:
            body = response.request.body or ""
            if "grant_type=refresh_token" in (body.decode() if isinstance(body, bytes) else body):
                with counting:
                    refreshes.append(response.status_code)

        client = hosted_ui_config()
        assert client is not None
        client.client.session.hooks["response"].append(count)
        session_cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
        barrier = threading.Barrier(8)
        answers: list[int] = []
        errors: list[BaseException] = []

        def request() -> None:
            try:
                tab = Client()
                tab.cookies[settings.SESSION_COOKIE_NAME] = session_cookie
                barrier.wait(timeout=30)
                answers.append(tab.get(ADMIN).status_code)
            except BaseException as err:  # noqa: BLE001  (reported by the assertion below)
                errors.append(err)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=request) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert answers == [200] * 8
        assert refreshes == [200]  # one refresh at Cognito, whose outcome every tab used
        assert browser.get(ADMIN).status_code == 200
        assert browser.session[SESSION_SIGNIN_KEY]["recheck_at"] > 0


def test_a_session_the_sign_in_views_did_not_make_is_left_alone(configure: Any) -> None:
    # A local superuser through the admin's own login form: no Cognito sign-in to bind to.
    User.objects.create_superuser("local-admin", "local@example.com", "local-password")
    browser = Client()
    assert browser.login(username="local-admin", password="local-password")
    assert browser.get(ADMIN).status_code == 200
    assert SESSION_SIGNIN_KEY not in browser.session


# --- the check ------------------------------------------------------------------------------------


def test_session_login_without_the_middleware_is_a_system_check_error() -> None:
    from fastcognito.django.users.checks import check_replica

    middleware = [m for m in settings.MIDDLEWARE if not m.endswith("SessionRefreshMiddleware")]
    misplaced = ["fastcognito.django.users.middleware.SessionRefreshMiddleware", *middleware]
    config = {"USER_POOL_ID": "eu-west-1_x", "CLIENT_ID": "c", "REPLICA": {"SESSION_LOGIN": True}}
    with override_settings(FASTCOGNITO=config):
        assert [message.id for message in check_replica()] == []
        for wrong in (middleware, misplaced):
            with override_settings(MIDDLEWARE=wrong):
                assert [message.id for message in check_replica()] == ["fastcognito.E205"]
        with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies"):
            assert [message.id for message in check_replica()] == ["fastcognito.E206"]
