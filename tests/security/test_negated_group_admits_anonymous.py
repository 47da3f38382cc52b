"""Issue 17, finding 4: ``~HasGroup("banned")`` let anonymous requests in.

DRF's ``~`` inverts ``has_permission``, and ``HasGroup`` refuses an anonymous request (it has no
groups), so its plain negation allowed it; the docs showed ``[~HasGroup("banned")]`` as the way
to keep banned users out. The documented expressions are run here as written, and ``~`` on our
classes is a class of its own that refuses whoever's groups it cannot read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from fastcognito.drf import HasGroup, HasScope
from tests.support import TokenFactory

pytestmark = pytest.mark.usefixtures("fastcognito_config")

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "fastcognito" / "drf" / "permissions.py",
]
NAMES = {"IsAuthenticated": IsAuthenticated, "HasGroup": HasGroup, "HasScope": HasScope}
NEGATED_EXAMPLE = re.compile(r"permission_classes = (\[.*~HasGroup\(\"(?P<group>[^\"]+)\"\).*\])")


def documented_negations() -> list[tuple[str, str, str]]:
    found = []
    for document in DOCUMENTS:
        for match in NEGATED_EXAMPLE.finditer(document.read_text(encoding="utf-8")):
            found.append((document.relative_to(ROOT).as_posix(), match.group(1), match.group("group")))
    return found


class Things(APIView):
    """A view that acts on no particular object: only has_permission runs."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class OneThing(APIView):
    """A view that acts on one object: has_permission, then has_object_permission."""

    def get(self, request: Request) -> Response:
        self.check_object_permissions(request, {"id": 1})
        return Response({"ok": True})


def call(
    permission_classes: list[Any], token: str | None = None, user: Any = None, view: type = Things
) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    request = APIRequestFactory().get("/things/", **headers)
    if user is not None:
        force_authenticate(request, user=user)
    return view.as_view(permission_classes=permission_classes)(request)


def test_the_docs_show_a_negation() -> None:
    documents = {path for path, _, _ in documented_negations()}
    assert documents >= {"docs/django.md", "fastcognito/drf/permissions.py"}


@pytest.mark.parametrize(("document", "expression", "group"), documented_negations())
def test_documented_negation_refuses_anonymous_and_banned_users(
    tokens: TokenFactory, document: str, expression: str, group: str
) -> None:
    classes = eval(expression, dict(NAMES))  # the example exactly as the reader copies it
    anonymous = call(classes)
    assert anonymous.status_code == 401, (document, anonymous.data)
    banned = call(classes, tokens.access(**{"cognito:groups": [group, "editors"]}))
    assert banned.status_code == 403, (document, banned.data)
    assert call(classes, tokens.access(**{"cognito:groups": ["editors"]})).status_code == 200


def test_bare_negated_group_refuses_anonymous(tokens: TokenFactory) -> None:
    not_banned = [~HasGroup("banned")]
    response = call(not_banned)
    assert response.status_code == 401, response.data
    assert response.data["code"] == "not_authenticated"
    response = call(not_banned, tokens.access(**{"cognito:groups": ["banned"]}))
    assert response.status_code == 403
    assert response.data == {"detail": "You are in a group this action excludes."}
    assert call(not_banned, tokens.access(**{"cognito:groups": []})).status_code == 200


def test_negated_group_lets_others_reach_an_object(tokens: TokenFactory) -> None:
    # DRF's plain ~ also inverts has_object_permission (True for ours), refusing every object.
    others = tokens.access(**{"cognito:groups": ["editors"]})
    assert call([IsAuthenticated & ~HasGroup("banned")], others, view=OneThing).status_code == 200
    assert call([~HasGroup("banned")], view=OneThing).status_code == 401


def test_bare_negated_scope_refuses_anonymous(tokens: TokenFactory) -> None:
    not_admin_scope = [~HasScope("aws.cognito.signin.user.admin")]
    assert call(not_admin_scope).status_code == 401
    assert call(not_admin_scope, tokens.access()).status_code == 403
    assert call(not_admin_scope, tokens.access(scope="openid")).status_code == 200


class OtherUser:
    """A principal of another authenticator, with no token: its groups cannot be read."""

    is_authenticated = True
    is_active = True
    username = "api-key-client"


def test_negated_group_refuses_a_user_whose_groups_cannot_be_read() -> None:
    assert call([~HasGroup("banned")], user=OtherUser()).status_code == 403
    assert call([HasGroup("banned")], user=OtherUser()).status_code == 403


def test_double_negation_is_the_requirement_itself() -> None:
    assert ~~HasGroup("banned") is HasGroup("banned")
    assert ~HasGroup("banned") is ~HasGroup("banned")
    with pytest.raises(TypeError, match="must name what it requires"):
        ~HasGroup  # noqa: B018
