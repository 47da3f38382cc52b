"""The replica's admin (fastcognito/django/users/admin.py): ``CognitoIdentity`` rows listed and
searched by a superuser, and never added, changed or deleted through the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fastcognito.django.users.models import CognitoIdentity

CHANGELIST = "/admin/fastcognito_users/cognitoidentity/"
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AdminPool1"
SUBS = {"alice": "11111111-aaaa-4bbb-8ccc-000000000001", "bob": "22222222-aaaa-4bbb-8ccc-000000000002"}


@pytest.fixture
def identities(db: Any) -> dict[str, CognitoIdentity]:
    User = get_user_model()
    return {
        name: CognitoIdentity.objects.create(issuer=ISSUER, sub=sub, user=User.objects.create_user(name))
        for name, sub in SUBS.items()
    }


@pytest.fixture
def admin_browser(db: Any) -> Client:
    browser = Client()
    browser.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "unused"))
    return browser


def test_the_changelist_renders_issuer_sub_user_and_sync_time(
    identities: dict[str, CognitoIdentity], admin_browser: Client
) -> None:
    page = admin_browser.get(CHANGELIST)
    assert page.status_code == 200
    html = page.content.decode()
    for name, sub in SUBS.items():
        assert sub in html and f">{name}<" in html
    assert ISSUER in html
    assert page.context["cl"].list_display == ("issuer", "sub", "user", "synced_at")
    assert page.context["cl"].result_count == 2


@pytest.mark.parametrize(("query", "found"), [(SUBS["bob"], ["bob"]), ("alice", ["alice"]), ("nobody", [])])
def test_search_by_sub_and_by_user_name(
    identities: dict[str, CognitoIdentity], admin_browser: Client, query: str, found: list[str]
) -> None:
    page = admin_browser.get(CHANGELIST, {"q": query})
    assert page.status_code == 200
    assert sorted(row.user.username for row in page.context["cl"].result_list) == found


def test_rows_are_read_only(identities: dict[str, CognitoIdentity], admin_browser: Client) -> None:
    alice = identities["alice"]
    assert admin_browser.get(f"{CHANGELIST}add/").status_code == 403
    view = admin_browser.get(f"{CHANGELIST}{alice.pk}/change/")
    assert view.status_code == 200  # the view-only page
    assert not view.context["has_change_permission"] and 'name="_save"' not in view.content.decode()
    changed = admin_browser.post(f"{CHANGELIST}{alice.pk}/change/", {"sub": "stolen", "issuer": ISSUER})
    assert changed.status_code == 403
    assert admin_browser.post(f"{CHANGELIST}{alice.pk}/delete/", {"post": "yes"}).status_code == 403
    alice.refresh_from_db()
    assert (alice.sub, CognitoIdentity.objects.count()) == (SUBS["alice"], 2)


def test_staff_without_permissions_cannot_see_it(identities: dict[str, CognitoIdentity]) -> None:
    browser = Client()
    browser.force_login(get_user_model().objects.create_user("clerk", is_staff=True))
    assert browser.get(CHANGELIST).status_code == 403
