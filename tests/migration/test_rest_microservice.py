"""django-rest-microservice 1.3 to fastcognito's token exchange, proven on the package's own
set-up (docs/migrating.md, "django-rest-microservice").

Before: ``projects/rest-microservice`` runs the package itself, in its own virtual environment,
as its README sets it up (``auth/`` URLs, simplejwt's ``JWTTokenUserAuthentication``, the
blacklist app, ``is_staff`` copied into the tokens). Its users are made by its own
``social-exchange/`` from genuine ministack tokens (user and ``Idp`` row), and one is then made
staff by hand. The package fetches the keys from the AWS address it builds; that fetch is sent
to ministack (``runner.py``, ``MIGRATION_JWKS_ORIGIN``). After: the guide's blocks as written, on
the same database, the package still installed for the link step (as the guide orders); the test
adds only the JWKS URL. The frontend's exchange call changes (the guide says how); every request
after it is the same in both halves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.migration import VENVS, Answer, Project, Site, UserPool, create_user_pool

USERS = (
    "from django.contrib.auth.models import User; result = dict(User.objects.values_list('username', 'pk'))"
)
MAKE_STAFF = (
    "from django.contrib.auth.models import User; User.objects.filter(username='alice').update(is_staff=True)"
)
IDP = """
from rest_framework_microservice.models import Idp
result = {row.user.username: str(row.uuid) for row in Idp.objects.all()}
"""
LINKS = """
from fastcognito.django.users.models import CognitoIdentity
result = {row.user.username: [row.sub, row.user_id] for row in CognitoIdentity.objects.select_related("user")}
"""


CSRF = "c" * 32


def environment(pool: UserPool) -> dict[str, str]:
    return {
        "COGNITO_REGION": pool.region,
        "COGNITO_USER_POOL": pool.pool_id,
        "COGNITO_CLIENT_ID": pool.client_id,
    }


def old_exchange(name: str) -> dict[str, Any]:
    """The package's exchange call, as its README shows it (tokens by placeholder)."""
    body = {
        field: f"{{{{{name}.{key}}}}}"
        for field, key in (
            ("id_token", "IdToken"),
            ("access_token", "AccessToken"),
            ("refresh_token", "RefreshToken"),
        )
    }
    return {"method": "POST", "path": "/auth/social-exchange/", "json": body}


def new_exchange(name: str) -> dict[str, Any]:
    return {"method": "POST", "path": "/auth/exchange/", "json": {"token": f"{{{{{name}.IdToken}}}}"}}


def session(
    site: Site, client: str, exchange: dict[str, Any], access: str, refresh: str, logout: str
) -> dict[str, Answer]:
    """One person's session: exchange, use, refresh, use, log off, then refresh again (the
    cookie is gone) and replay the refresh cookie saved before logging off (revoked)."""

    def bearer(saved: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {{{{{client}-{saved}.{access}}}}}"}

    # The page's CSRF token (Django's cookie and header): the package ignored it, fastcognito's
    # refresh/ and logout/ require it, as they act on a cookie the browser sends by itself.
    csrf = {
        "json": {},
        "cookies": {"csrftoken": CSRF},
        "headers": {"X-CSRFToken": CSRF, "Referer": "https://testserver/"},
    }
    answers = {"exchange": site.request(client=client, save=f"{client}-pair", **exchange)}
    if answers["exchange"].status != 200:
        return answers
    answers["me"] = site.get("/api/me/", client=client, headers=bearer("pair"))
    answers["staff"] = site.get("/api/staff/", client=client, headers=bearer("pair"))
    # A frontend that keeps sending its internal token on the exchange call too.
    answers["exchange, bearer"] = site.request(client=client, headers=bearer("pair"), **exchange)
    answers["refresh"] = site.post(
        refresh, client=client, save=f"{client}-refreshed", keep_cookies=client, **csrf
    )
    answers["me, refreshed"] = site.get("/api/me/", client=client, headers=bearer("refreshed"))
    answers["staff, refreshed"] = site.get("/api/staff/", client=client, headers=bearer("refreshed"))
    answers["logout"] = site.post(logout, client=client, **csrf)
    answers["refresh, logged out"] = site.post(refresh, client=client, **csrf)
    answers["refresh, replayed"] = site.post(refresh, client=f"{client}-thief", use_cookies=client, **csrf)
    return answers


def test_rest_microservice_site_after_the_guide(ministack: Any, tmp_path: Path) -> None:
    user_pool = create_user_pool(ministack.url)
    site = Project("rest-microservice", tmp_path / "rest-microservice", environment(user_pool))
    tokens = [user_pool.login(name) for name in ("alice", "bob", "carol")]
    cognito_token = {"Authorization": "Bearer {{alice.AccessToken}}"}

    with site.before(jwks_origin=user_pool.url) as before:
        before.manage("migrate", "--verbosity", "0")
        for signed_in in tokens:
            before.remember(signed_in)
        # The users, as the package makes them: its own exchange, then is_staff set in the admin.
        assert before.request(**old_exchange("bob")).status == 200
        made_by_package = before.request(**old_exchange("alice"))
        before.python(MAKE_STAFF)
        users_before = before.python(USERS)
        idp = before.python(IDP)
        old = session(
            before, "alice", old_exchange("alice"), "access_token", "/auth/refresh/", "/auth/logoff/"
        )
        old_bob = session(
            before, "bob", old_exchange("bob"), "access_token", "/auth/refresh/", "/auth/logoff/"
        )
        old_carol = before.request(**old_exchange("carol"))
        old_anonymous = before.get("/api/me/")
        old_cognito = before.get("/api/me/", headers=cognito_token)

    steps = site.apply_guide(
        "rest-microservice", test_settings=f"FASTCOGNITO['JWKS_URL'] = {user_pool.jwks_url!r}\n"
    )
    package = Path(VENVS / "rest-microservice" / "lib").glob(
        "python3*/site-packages/rest_framework_microservice"
    )
    alongside = site.path.parent / "alongside"
    alongside.mkdir()
    (alongside / "rest_framework_microservice").symlink_to(next(package))
    with site.after(extra_paths=(alongside,)) as after:
        for step in steps:
            after.manage(*step)
        checks = {m["id"] for m in after.checks() if m["id"].startswith("fastcognito")}
        links = after.python(LINKS)
        for signed_in in tokens:
            after.remember(signed_in)
        new = session(after, "alice", new_exchange("alice"), "access", "/auth/refresh/", "/auth/logout/")
        new_bob = session(after, "bob", new_exchange("bob"), "access", "/auth/refresh/", "/auth/logout/")
        new_carol = after.request(**new_exchange("carol"))
        new_anonymous = after.get("/api/me/")
        new_cognito = after.get("/api/me/", headers=cognito_token)
        users_after = after.python(USERS)

    assert made_by_package.status == 200
    assert checks == set()
    # Every user the package made is linked from its Idp row, and found: none is duplicated.
    assert links == {name: [idp[name], users_before[name]] for name in ("alice", "bob")}
    assert users_after == users_before

    # Access: the same users, the same staff rights, nothing opened.
    assert old_anonymous.refused and new_anonymous.refused
    assert old_cognito.refused and new_cognito.refused  # a Cognito token is not an internal one
    alice_id, bob_id = str(users_before["alice"]), str(users_before["bob"])
    assert old["me, refreshed"].json == new["me, refreshed"].json == {"user_id": alice_id, "is_staff": True}
    assert (
        old_bob["me, refreshed"].json
        == new_bob["me, refreshed"].json
        == {"user_id": bob_id, "is_staff": False}
    )
    assert old["staff, refreshed"].status == new["staff, refreshed"].status == 200
    assert old_bob["staff, refreshed"].status == new_bob["staff, refreshed"].status == 403
    # The package copied is_staff only from the first refresh on; the exchange copies it at once.
    assert old["me"].json == {"user_id": alice_id, "is_staff": False}
    assert new["me"].json == {"user_id": alice_id, "is_staff": True}
    # A person whose e-mail is unverified was refused (the package's 500); still refused.
    assert old_carol.status == 500 and old_carol.json == {"detail": "Email not verified."}
    assert new_carol.status == 403 and new_carol.json["code"] == "user_refused"

    # Tokens the frontend can read: the refresh token stays in an HttpOnly cookie, out of the body.
    for answers, name in ((old, "refresh_cookie"), (new, "refresh_cookie")):
        cookie = answers["exchange"].cookies[name]
        assert cookie["set"] and cookie["httponly"] and cookie["path"] == "/auth"
        assert cookie["samesite"].lower() == "strict"
        assert all("refresh" not in key for key in answers["exchange"].json)
    # A frontend that sends its internal token with the exchange call is not refused for it.
    assert old["exchange, bearer"].status == new["exchange, bearer"].status == 200

    # Sessions: refresh by the cookie; log off revokes it: the cookie is cleared, and the refresh
    # token replayed from a copy is refused (the package answered that with a 500).
    for answers in (old, new, old_bob, new_bob):
        assert answers["refresh"].status == 200
        assert answers["logout"].status in (200, 204)
        assert answers["refresh, logged out"].status == 401
    assert old["refresh, replayed"].status == 500
    assert new["refresh, replayed"].status == new_bob["refresh, replayed"].status == 401
