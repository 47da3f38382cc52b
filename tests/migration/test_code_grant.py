"""cognito_code_grant 1.0.30 to fastcognito's sign-in views and replica, proven on the package's
own set-up (docs/migrating.md, "cognito_code_grant").

Before: ``projects/code-grant`` runs the package itself, in its own virtual environment, as its
README sets it up (its backend, then BasicAuthentication for a service account; its handlers under
``auth/``; its three settings pointed at ministack's pool, whose managed login, token endpoint and
keys it uses directly, at https://app.example.com behind a TLS-ending proxy). People sign in
through Cognito's managed login, which sends them back to ``auth/login/``; the package then makes
their user, named after the e-mail. After: the guide's blocks as written on the same database; the
test adds only the emulator's addresses (the JWKS URL, the JSON API's URL, ``--endpoint-url``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.migration import PASSWORD, Answer, Project, Site, UserPool, create_user_pool
from tests.support.ministack_server import submit_login_form

HOST = "app.example.com"
ACCESS_SECONDS = 5
SERVICE = "svc-reports"
SERVICE_PASSWORD = "Service-pass-1!"
BASIC = {"Authorization": "Basic c3ZjLXJlcG9ydHM6U2VydmljZS1wYXNzLTEh"}  # svc-reports:Service-pass-1!
USERS = (
    "from django.contrib.auth.models import User; result = dict(User.objects.values_list('username', 'pk'))"
)
SERVICE_ACCOUNT = f"""
from django.contrib.auth.models import Group, User
User.objects.create_user({SERVICE!r}, password={SERVICE_PASSWORD!r})
"""
HAND_GRANTED = """
from django.contrib.auth.models import Group, User
group = Group.objects.get_or_create(name="beta-testers")[0]
group.user_set.add(User.objects.get(username="alice@example.com"))
"""
# The package refreshes when the session's access token fails to verify, as an expired one does.
EXPIRE_SESSION_TOKEN = """
session = clients["alice"].session
session["access_token"] = "expired.access.token"
session.save()
"""


def environment(pool: UserPool) -> dict[str, str]:
    return {
        "MIGRATION_HOST": HOST,
        "AUTH_COGNITO_CLIENT_ID": pool.client_id,
        "AUTH_COGNITO_CODE_GRANT_URL": f"{pool.url}/oauth2/token",
        "AUTH_COGNITO_JWKS_URL": pool.jwks_url,
    }


def managed_login(pool: UserPool, authorize_url: str, username: str) -> str:
    """What the person does at Cognito: the login form; returns where Cognito sends them."""
    answer = submit_login_form(authorize_url, username, PASSWORD)
    assert answer.status_code in (302, 303), answer.status_code
    return str(answer.headers["Location"])


def old_sign_in(site: Site, pool: UserPool, username: str) -> Answer:
    """The frontend's sign-in link of the package's set-up: Cognito's authorize endpoint, back
    to ``auth/login/`` with the page to return to as ``state``."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": pool.client_id,
            "scope": "openid email profile",
            "redirect_uri": f"https://{HOST}/auth/login/",
            "state": "/app/",
        }
    )
    back = urlsplit(managed_login(pool, f"{pool.url}/oauth2/authorize?{query}", username))
    assert back.path == "/auth/login/"
    # Behind the proxy the request is plain HTTP: the package turns http into https itself.
    return site.get(
        back.path, client=username, query={k: v[0] for k, v in parse_qs(back.query).items()}, secure=False
    )


def new_sign_in(site: Site, pool: UserPool, username: str, start: str = "/auth/login/?next=/app/") -> Answer:
    """fastcognito's sign-in: our login view, Cognito's form, our callback."""
    redirect = site.get(start, client=username)
    assert redirect.status == 302, redirect
    return finish_sign_in(site, pool, username, redirect.headers["Location"])


def finish_sign_in(site: Site, pool: UserPool, username: str, authorize: str) -> Answer:
    """From Cognito's authorize URL (our login view's redirect): the form, then our callback."""
    assert parse_qs(urlsplit(authorize).query)["redirect_uri"] == [f"https://{HOST}/auth/callback/"]
    back = urlsplit(managed_login(pool, authorize, username))
    assert back.path == "/auth/callback/"
    return site.get(back.path, client=username, query={k: v[0] for k, v in parse_qs(back.query).items()})


def the_requests(site: Site) -> dict[str, Answer]:
    """The requests both halves get once alice has signed in."""
    # alice first: her access token lives ACCESS_SECONDS from the sign-in.
    return {
        "alice": site.get("/api/me/", client="alice"),
        "alice, admin": site.get("/admin/", client="alice"),
        "anonymous": site.get("/api/me/", client="anonymous"),
        "service account": site.get("/api/me/", client="service", headers=BASIC),
        "wrong password": site.get(
            "/api/me/", client="intruder", headers={"Authorization": "Basic c3ZjOm5vcGU="}
        ),
    }


def expired(site: Site) -> Answer:
    """alice's next request once her access token has expired (ACCESS_SECONDS)."""
    time.sleep(ACCESS_SECONDS + 1)
    return site.get("/api/me/", client="alice")


def test_code_grant_site_after_the_guide(ministack: Any, tmp_path: Path) -> None:
    user_pool = create_user_pool(ministack.url, access_seconds=ACCESS_SECONDS)
    site = Project("code-grant", tmp_path / "code-grant", environment(user_pool))
    with site.before() as before:
        before.manage("migrate", "--verbosity", "0")
        before.python(SERVICE_ACCOUNT)
        old_signed_in = old_sign_in(before, user_pool, "alice")
        old = the_requests(before)
        # The package made alice's user on that first request; an admin then grants a group.
        before.python(HAND_GRANTED)
        old["alice, expired access token"] = expired(before)
        old["logout"] = before.get("/auth/logout/", client="alice", query={"state": "/"})
        old["alice, logged out"] = before.get("/api/me/", client="alice")
        users_before = before.python(USERS)

    test_settings = (
        f"FASTCOGNITO['JWKS_URL'] = {user_pool.jwks_url!r}\n"
        f"FASTCOGNITO['HOSTED_UI']['API_URL'] = {user_pool.url!r}\n"
    )
    steps = site.apply_guide("code-grant", test_settings=test_settings)
    with site.after() as after:
        for step in steps:
            if step[0] == "cognito_link_users":
                step = [*step, "--endpoint-url", user_pool.url]
            after.manage(*step)
        checks = {m["id"] for m in after.checks() if m["id"].startswith("fastcognito")}
        new_signed_in = new_sign_in(after, user_pool, "alice")
        new = the_requests(after)
        new["alice, expired access token"] = expired(after)
        new["logout"] = after.post(
            "/auth/logout/",
            client="alice",
            form={"csrfmiddlewaretoken": "{{csrf:alice}}"},
            headers={"Referer": f"https://{HOST}/app/"},
        )
        new["alice, logged out"] = after.get("/api/me/", client="alice")
        # Cognito still sends people back to the old auth/login/ (a link that names it): a new
        # sign-in starts there, ending at auth/callback/, not a loop.
        old_link = after.get("/auth/login/", client="bob", query={"code": "stale", "state": "/app/"})
        again = finish_sign_in(after, user_pool, "bob", old_link.headers["Location"])
        users_after = after.python(USERS)

    assert checks == set()
    assert old_signed_in.status == new_signed_in.status == 302
    assert old_signed_in.headers["Location"] == new_signed_in.headers["Location"] == "/app/"

    # Access: the service account (BasicAuthentication kept), and alice as the same local user,
    # with the Cognito group and the group granted by hand; nothing opened.
    for label in ("anonymous", "wrong password", "alice, logged out"):
        assert old[label].refused and new[label].refused, (label, old[label].status, new[label].status)
    assert old["service account"].json == new["service account"].json
    assert old["service account"].status == 200
    alice = {
        "pk": users_before["alice@example.com"],
        "email": "alice@example.com",
        "groups": ["beta-testers", "editors"],
    }
    assert old["alice"].json == {**alice, "username": "alice@example.com", "groups": ["editors"]}
    assert old["alice, expired access token"].json == {**alice, "username": "alice@example.com"}
    # The one visible change: the local user name becomes the Cognito user name.
    assert new["alice"].json == {**alice, "username": "alice"}
    # Refreshed, the same user, the group granted by hand kept. (ministack's refresh grant drops
    # cognito:groups from the tokens it mints, which Cognito does not: so groups are compared above.)
    refreshed = new["alice, expired access token"]
    assert refreshed.status == 200 and refreshed.json["pk"] == alice["pk"]
    assert "beta-testers" in refreshed.json["groups"]
    assert users_after == {"svc-reports": users_before["svc-reports"], "alice": alice["pk"]}

    # Sessions: an expired access token is refreshed on the request, as the package did; Cognito
    # accounts get no admin session, as before.
    assert old["alice, admin"].status == new["alice, admin"].status == 302
    assert old["alice, admin"].headers["Location"].startswith("/admin/login/")
    assert new["alice, admin"].headers["Location"].startswith("/admin/login/")
    assert old["logout"].status == new["logout"].status == 302

    # Endpoints: auth/login/ starts a sign-in that returns to auth/callback/; the page to return
    # to is ?next= now (the package's ?state= is not read: the person lands on the default page).
    assert old_link.status == 302 and old_link.headers["Location"].startswith(
        f"{user_pool.url}/oauth2/authorize"
    )
    assert again.status == 302 and again.headers["Location"] == "/"
