"""Djognito 0.1.1 to fastcognito, proven on Djognito's own set-up (docs/migrating.md, "Djognito").

Before: the project of ``projects/djognito`` runs Djognito itself, in its own virtual environment,
configured by the four environment variables of its README (the cookie is ``myCookie``) and a
subclass whose ``attach_attributes`` hook gives the user its Cognito groups, which the views read.
Djognito fetches the keys from the AWS address it builds; that one fetch is sent to ministack
(``runner.py``, ``MIGRATION_JWKS_ORIGIN``). After: the guide's blocks as written, with the same
environment; the test adds only ``AWS_COGNITO_JWKS_URL`` (ministack serves the keys on its own
address). The same requests go to both halves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.migration import Project, Tokens, UserPool, create_user_pool, send

COOKIE = "myCookie"
CSRF = "c" * 32


def environment(pool: UserPool) -> dict[str, str]:
    return {
        "ACCESS_TOKEN_KEY": COOKIE,
        "AWS_COGNITO_APP_CLIENT_ID": pool.client_id,
        "AWS_COGNITO_REGION": pool.region,
        "AWS_COGNITO_USER_POOL_ID": pool.pool_id,
        # For fastcognito only (Djognito never reads it): the emulator's keys.
        "AWS_COGNITO_JWKS_URL": pool.jwks_url,
    }


def sign_ins(pool: UserPool) -> list[Tokens]:
    return [
        pool.login("alice"),
        pool.login("bob"),
        pool.login("alice", pool.other_client_id, name="elsewhere"),
    ]


def the_requests() -> dict[str, dict[str, Any]]:
    """The requests both halves get; tokens by placeholder (``Site.remember``)."""
    alice = {"cookies": {COOKIE: "{{alice.AccessToken}}"}}
    bob = {"cookies": {COOKIE: "{{bob.AccessToken}}"}}
    return {
        "no cookie": {"method": "GET", "path": "/api/profile/"},
        "alice": {"method": "GET", "path": "/api/profile/", **alice},
        "bob": {"method": "GET", "path": "/api/profile/", **bob},
        "alice, editors": {"method": "GET", "path": "/api/editors/", **alice},
        "bob, editors": {"method": "GET", "path": "/api/editors/", **bob},
        "id token": {"method": "GET", "path": "/api/profile/", "cookies": {COOKIE: "{{alice.IdToken}}"}},
        "other app client": {
            "method": "GET",
            "path": "/api/profile/",
            "cookies": {COOKIE: "{{elsewhere.AccessToken}}"},
        },
        "not a token": {"method": "GET", "path": "/api/profile/", "cookies": {COOKIE: "not.a.token"}},
        # The cookie the former guide named in COOKIE_NAME: not the one this site's frontend sets.
        "cookie accessToken": {
            "method": "GET",
            "path": "/api/profile/",
            "cookies": {"accessToken": "{{alice.AccessToken}}"},
        },
        "bearer header": {
            "method": "GET",
            "path": "/api/profile/",
            "headers": {"Authorization": "Bearer {{alice.AccessToken}}"},
        },
        "POST, cookie": {"method": "POST", "path": "/api/profile/", "json": {}, **alice},
        "POST, cookie and CSRF": {
            "method": "POST",
            "path": "/api/profile/",
            "json": {},
            "cookies": {COOKIE: "{{alice.AccessToken}}", "csrftoken": CSRF},
            "headers": {"X-CSRFToken": CSRF, "Referer": "https://testserver/"},
        },
    }


def test_djognito_site_after_the_guide(ministack: Any, tmp_path: Path) -> None:
    user_pool = create_user_pool(ministack.url)
    site = Project("djognito", tmp_path / "djognito", environment(user_pool))
    tokens = sign_ins(user_pool)
    with site.before(jwks_origin=user_pool.url) as before:
        before.manage("migrate", "--verbosity", "0")
        for signed_in in tokens:
            before.remember(signed_in)
        old = send(before, the_requests())
        old_users = before.python(
            "from django.contrib.auth.models import User; result = User.objects.count()"
        )

    steps = site.apply_guide("djognito")
    with site.after() as after:
        for step in steps:
            after.manage(*step)
        checks = [m for m in after.checks() if m["id"].startswith("fastcognito")]
        for signed_in in tokens:
            after.remember(signed_in)
        new = send(after, the_requests())
        new_users = after.python("from django.contrib.auth.models import User; result = User.objects.count()")

    # The guide's settings pass every check: no COOKIE_NAME fighting ACCESS_TOKEN_KEY (W011).
    assert checks == []
    # Djognito's users live in Cognito only: nothing is written, before or after.
    assert old_users == new_users == 0

    # What was refused is refused (Djognito answered 403; fastcognito 401 with a code).
    refused = {"no cookie", "id token", "other app client", "not a token", "cookie accessToken"}
    for label in refused:
        assert old[label].refused and new[label].refused, (label, old[label].status, new[label].status)
    assert new["not a token"].json["code"] == "malformed"

    # The same clients authenticate as the same users, with the groups the hook attached.
    for label in ("alice", "bob", "alice, editors"):
        assert old[label].status == new[label].status == 200, label
        assert old[label].json == new[label].json, label
    assert new["alice"].json == {"username": "alice", "groups": ["editors"]}
    assert new["bob"].json == {"username": "bob", "groups": []}
    assert old["bob, editors"].status == new["bob, editors"].status == 403

    # What the guide says changes: a POST by the cookie needs Django's CSRF token now; a token
    # in the Authorization header, which Djognito never read, is accepted too.
    assert old["POST, cookie"].status == 201
    assert new["POST, cookie"].status == 403
    assert old["POST, cookie and CSRF"].status == new["POST, cookie and CSRF"].status == 201
    assert old["bearer header"].refused
    assert new["bearer header"].status == 200
