"""A hand-written DRF class on PyJWT to fastcognito (docs/migrating.md, "A hand-written PyJWT
class").

Before: ``projects/pyjwt``, the usual shape of such a class (PyJWKClient on the pool's AWS JWKS
address, RS256, the audience check off), in a virtual environment of Django, DRF and PyJWT; the
one JWKS fetch is sent to ministack (``runner.py``, ``MIGRATION_JWKS_ORIGIN``). After: the guide's
blocks as written; the test adds only the JWKS URL. The same requests go to both halves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.migration import Project, Tokens, UserPool, create_user_pool, send


def environment(pool: UserPool) -> dict[str, str]:
    return {
        "COGNITO_REGION": pool.region,
        "COGNITO_USER_POOL_ID": pool.pool_id,
        "COGNITO_CLIENT_ID": pool.client_id,
    }


def sign_ins(pool: UserPool) -> list[Tokens]:
    return [
        pool.login("alice"),
        pool.login("bob"),
        pool.login("alice", pool.other_client_id, name="elsewhere"),
    ]


def the_requests() -> dict[str, dict[str, Any]]:
    def bearer(name: str, kind: str = "AccessToken") -> dict[str, Any]:
        return {"headers": {"Authorization": f"Bearer {{{{{name}.{kind}}}}}"}}

    return {
        "anonymous": {"method": "GET", "path": "/api/me/"},
        "alice": {"method": "GET", "path": "/api/me/", **bearer("alice")},
        "bob": {"method": "GET", "path": "/api/me/", **bearer("bob")},
        "alice, editors": {"method": "GET", "path": "/api/editors/", **bearer("alice")},
        "bob, editors": {"method": "GET", "path": "/api/editors/", **bearer("bob")},
        "id token": {"method": "GET", "path": "/api/me/", **bearer("alice", "IdToken")},
        "other app client": {"method": "GET", "path": "/api/me/", **bearer("elsewhere")},
        "not a token": {
            "method": "GET",
            "path": "/api/me/",
            "headers": {"Authorization": "Bearer not.a.token"},
        },
    }


def test_pyjwt_class_after_the_guide(ministack: Any, tmp_path: Path) -> None:
    user_pool = create_user_pool(ministack.url)
    site = Project("pyjwt", tmp_path / "pyjwt", environment(user_pool))
    tokens = sign_ins(user_pool)
    with site.before(jwks_origin=user_pool.url) as before:
        before.manage("migrate", "--verbosity", "0")
        for signed_in in tokens:
            before.remember(signed_in)
        old = send(before, the_requests())

    steps = site.apply_guide("pyjwt", test_settings=f"FASTCOGNITO['JWKS_URL'] = {user_pool.jwks_url!r}\n")
    with site.after() as after:
        for step in steps:
            after.manage(*step)
        checks = {m["id"] for m in after.checks() if m["id"].startswith("fastcognito")}
        for signed_in in tokens:
            after.remember(signed_in)
        new = send(after, the_requests())

    assert checks == set()
    # The same people get in, with the same groups read from request.auth.
    for label in ("alice", "bob", "alice, editors"):
        assert old[label].status == new[label].status == 200, label
        assert old[label].json == new[label].json, label
    assert old["bob, editors"].status == new["bob, editors"].status == 403
    assert old["anonymous"].refused and new["anonymous"].refused

    # What the guide says changes: the class accepted every app client's tokens, and id tokens;
    # now only the configured client's access tokens. A token that is not one was a 500.
    assert old["other app client"].status == old["id token"].status == 200
    assert new["other app client"].json["code"] == "invalid_client"
    assert new["id token"].json["code"] == "invalid_token_use"
    assert old["not a token"].status == 500
    assert new["not a token"].status == 401
