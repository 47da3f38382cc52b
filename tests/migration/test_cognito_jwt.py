"""django-cognito-jwt 0.0.4 to fastcognito's replica, proven on the package's own set-up
(docs/migrating.md, "django-cognito-jwt").

Before: ``projects/cognito-jwt`` runs the package itself, in its own virtual environment, as its
README sets it up (its three settings, the key cache, its DRF class, id tokens in
``Authorization: Bearer``), with the project's user model whose ``get_or_create_for_cognito``
keeps each user's ``sub``: the package makes the users on their first requests. Its JWKS fetch
goes to ministack (``runner.py``, ``MIGRATION_JWKS_ORIGIN``). After: the guide's blocks as written
on the same database; the test adds only the JWKS URL. A person who signs up during the migration
(erin) has a first request only after it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.migration import Project, UserPool, create_user_pool, send

USERS = "from accounts.models import User; result = dict(User.objects.values_list('username', 'pk'))"
LINKS = """
from fastcognito.django.users.models import CognitoIdentity
result = {row.user.username: [row.sub, row.user_id] for row in CognitoIdentity.objects.select_related("user")}
"""


def environment(pool: UserPool) -> dict[str, str]:
    return {
        "COGNITO_AWS_REGION": pool.region,
        "COGNITO_USER_POOL": pool.pool_id,
        "COGNITO_AUDIENCE": pool.client_id,
    }


def the_requests() -> dict[str, dict[str, Any]]:
    def bearer(name: str, kind: str = "IdToken") -> dict[str, Any]:
        return {"headers": {"Authorization": f"Bearer {{{{{name}.{kind}}}}}"}}

    return {
        "anonymous": {"method": "GET", "path": "/api/me/"},
        "alice": {"method": "GET", "path": "/api/me/", **bearer("alice")},
        "bob": {"method": "GET", "path": "/api/me/", **bearer("bob")},
        "alice, claim from request.auth": {"method": "GET", "path": "/api/token-email/", **bearer("alice")},
        "access token": {"method": "GET", "path": "/api/me/", **bearer("alice", "AccessToken")},
        "other app client": {"method": "GET", "path": "/api/me/", **bearer("elsewhere")},
        "no scheme": {"method": "GET", "path": "/api/me/", "headers": {"Authorization": "{{alice.IdToken}}"}},
        "not a token": {
            "method": "GET",
            "path": "/api/me/",
            "headers": {"Authorization": "Bearer not.a.token"},
        },
    }


def test_cognito_jwt_site_after_the_guide(ministack: Any, tmp_path: Path) -> None:
    user_pool = create_user_pool(ministack.url)
    site = Project("cognito-jwt", tmp_path / "cognito-jwt", environment(user_pool))
    tokens = [
        user_pool.login("alice"),
        user_pool.login("bob"),
        user_pool.login("alice", user_pool.other_client_id, name="elsewhere"),
    ]
    with site.before(jwks_origin=user_pool.url) as before:
        before.manage("migrate", "--verbosity", "0")
        for signed_in in tokens:
            before.remember(signed_in)
        old = send(before, the_requests())
        users_before = before.python(USERS)

    user_pool.add_user(
        "erin", email="erin@example.com", email_verified="true", given_name="Erin", family_name="Example"
    )
    tokens.append(user_pool.login("erin"))
    steps = site.apply_guide(
        "django-cognito-jwt", test_settings=f"FASTCOGNITO['JWKS_URL'] = {user_pool.jwks_url!r}\n"
    )
    with site.after() as after:
        for step in steps:
            after.manage(*step)
        checks = {m["id"] for m in after.checks() if m["id"].startswith("fastcognito")}
        links = after.python(LINKS)
        for signed_in in tokens:
            after.remember(signed_in)
        new = send(after, the_requests())
        new["erin, first request"] = after.get(
            "/api/me/", headers={"Authorization": "Bearer {{erin.IdToken}}"}
        )
        users_after = after.python(USERS)

    assert checks == set()
    # The users the package made are linked by the sub it kept, and found: none duplicated.
    assert users_before == {"alice": users_before["alice"], "bob": users_before["bob"]}
    assert links == {name: [user_pool.sub(name), users_before[name]] for name in ("alice", "bob")}
    for label, name in (("alice", "alice"), ("bob", "bob")):
        assert old[label].status == new[label].status == 200
        assert (
            old[label].json
            == new[label].json
            == {"pk": users_before[name], "username": name, "email": f"{name}@example.com"}
        )
    # The view that read a claim from request.auth, rewritten as the guide says, answers the same.
    assert old["alice, claim from request.auth"].json == new["alice, claim from request.auth"].json
    assert new["alice, claim from request.auth"].json == {"email": "alice@example.com"}

    # Nothing is opened.
    for label in ("anonymous", "access token", "other app client", "no scheme", "not a token"):
        assert old[label].status == new[label].status == 401, (label, old[label].status, new[label].status)

    # A new person still gets a user on their first request.
    assert new["erin, first request"].status == 200
    assert users_after == {**users_before, "erin": users_after["erin"]}
