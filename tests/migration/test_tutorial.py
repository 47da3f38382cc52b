"""The tutorial "DRF with Cognito Authentication" to fastcognito, proven on the tutorial's own
set-up (docs/migrating.md, "The tutorial").

Before: ``projects/tutorial``, the tutorial's backend in a virtual environment of Django, DRF and
python-jose as it installs them: its environment variables, its middleware and DRF class reading
a raw ``Authorization: <idToken>`` header, the pool's keys pasted into ``cognito/__init__.py``
(written here from ministack's pool), no DEFAULT_PERMISSION_CLASSES, and the users made by hand
in the admin with the same user name and e-mail as in Cognito. After: the guide's blocks as
written, on the same database; the test adds only the emulator's addresses (the JWKS URL, and
``--endpoint-url`` on ``cognito_link_users``, which asks the pool for its users).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests as http
from tests.support.migration import Project, Tokens, UserPool, create_user_pool, send

ADMIN_PASSWORD = "Admin-pass-1!"
CSRF_FORM = {"csrfmiddlewaretoken": "{{csrf:admin}}", "username": "admin", "password": ADMIN_PASSWORD}

HAND_MADE_USERS = f"""
from django.contrib.auth.models import User
User.objects.create_superuser("admin", "admin@example.com", {ADMIN_PASSWORD!r})
for name in ("alice", "bob"):
    User.objects.create_user(name, f"{{name}}@example.com", "Hand-made-pass-1!")
result = dict(User.objects.values_list("username", "pk"))
"""
USERS = (
    "from django.contrib.auth.models import User; result = dict(User.objects.values_list('username', 'pk'))"
)
ARTICLES = (
    "from articles.models import Article; result = sorted(Article.objects.values_list('name', flat=True))"
)
LINKS = """
from fastcognito.django.users.models import CognitoIdentity
result = {row.user.username: [row.sub, row.user_id] for row in CognitoIdentity.objects.select_related("user")}
"""


def environment(pool: UserPool) -> dict[str, str]:
    return {"AWS_APP_CLIENT_ID": pool.client_id, "AWS_USER_POOLS_ID": pool.pool_id}


def sign_ins(pool: UserPool) -> list[Tokens]:
    names = ("alice", "bob", "dave")
    return [*map(pool.login, names), pool.login("alice", pool.other_client_id, name="elsewhere")]


def the_requests(run: str) -> dict[str, dict[str, Any]]:
    """The requests both halves get; tokens by placeholder (``Site.remember``)."""

    def raw(name: str, kind: str = "IdToken") -> dict[str, Any]:
        return {"headers": {"Authorization": f"{{{{{name}.{kind}}}}}"}}

    return {
        "anonymous GET": {"method": "GET", "path": "/articles/"},
        "anonymous POST": {"method": "POST", "path": "/articles/", "json": {"name": f"anonymous {run}"}},
        "alice GET": {"method": "GET", "path": "/articles/", **raw("alice")},
        "alice POST": {
            "method": "POST",
            "path": "/articles/",
            "json": {"name": f"alice {run}"},
            **raw("alice"),
        },
        "bob GET": {"method": "GET", "path": "/articles/", **raw("bob")},
        "access token": {"method": "GET", "path": "/articles/", **raw("alice", "AccessToken")},
        "other app client": {"method": "GET", "path": "/articles/", **raw("elsewhere")},
        "not a token": {"method": "GET", "path": "/articles/", "headers": {"Authorization": "not.a.token"}},
        "bearer": {
            "method": "GET",
            "path": "/articles/",
            "headers": {"Authorization": "Bearer {{alice.IdToken}}"},
        },
        "dave, no local user": {"method": "GET", "path": "/articles/", **raw("dave")},
        # The admin's own session, with the superuser's password.
        "admin login page": {"client": "admin", "method": "GET", "path": "/admin/login/"},
        "admin login": {
            "client": "admin",
            "method": "POST",
            "path": "/admin/login/?next=/admin/",
            "form": CSRF_FORM,
            "headers": {"Referer": "https://testserver/admin/login/"},
        },
        "admin index": {"client": "admin", "method": "GET", "path": "/admin/"},
    }


def test_tutorial_site_after_the_guide(ministack: Any, tmp_path: Path) -> None:
    user_pool = create_user_pool(ministack.url)
    site = Project("tutorial", tmp_path / "tutorial", environment(user_pool))
    tokens = sign_ins(user_pool)
    keys = http.get(user_pool.jwks_url, timeout=10).json()["keys"]
    (site.path / "cognito" / "__init__.py").write_text(f"keys = {json.dumps(keys)}\n")

    with site.before() as before:
        before.manage("migrate", "--verbosity", "0")
        hand_made = before.python(HAND_MADE_USERS)
        for signed_in in tokens:
            before.remember(signed_in)
        old = send(before, the_requests("before"))
        articles_before = before.python(ARTICLES)

    steps = site.apply_guide("tutorial", test_settings=f"FASTCOGNITO['JWKS_URL'] = {user_pool.jwks_url!r}\n")
    with site.after() as after:
        for step in steps:
            if step[0] == "cognito_link_users":
                step = [*step, "--endpoint-url", user_pool.url]
            after.manage(*step)
        checks = {m["id"] for m in after.checks() if m["id"].startswith("fastcognito")}
        links = after.python(LINKS)
        for signed_in in tokens:
            after.remember(signed_in)
        new = send(after, the_requests("after"))
        users_after = after.python(USERS)
        articles_after = after.python(ARTICLES)

    # Accepting a token without a scheme is a warning of its own, and the only one.
    assert checks == {"fastcognito.W012"}
    # The hand-made users are linked to their Cognito accounts by e-mail, none duplicated.
    assert links == {name: [user_pool.sub(name), hand_made[name]] for name in ("alice", "bob")}

    # Nothing is opened: anonymous requests are refused, and create nothing.
    for label in ("anonymous GET", "anonymous POST", "access token", "other app client", "not a token"):
        assert old[label].refused and new[label].refused, (label, old[label].status, new[label].status)
    assert articles_before == ["alice before"]
    assert articles_after == ["alice after", "alice before"]

    # The tutorial's frontend, a raw id token in Authorization, still works for the same users.
    assert old["alice GET"].status == new["alice GET"].status == 200
    assert old["bob GET"].status == new["bob GET"].status == 200
    assert old["alice POST"].status == new["alice POST"].status == 201
    assert new["alice GET"].json == [{"id": 1, "name": "alice before"}]

    # The admin keeps its own sessions.
    for label in ("admin login", "admin index"):
        assert (old[label].status, new[label].status) == (
            {"admin login": 302, "admin index": 200}[label],
        ) * 2

    # What the guide says changes: the Bearer form works too, and every user of the pool gets in
    # (a local user made on the first request), not only those made by hand.
    assert old["bearer"].refused and new["bearer"].status == 200
    assert old["dave, no local user"].refused and new["dave, no local user"].status == 200
    assert users_after == {**hand_made, "dave": users_after["dave"]}
