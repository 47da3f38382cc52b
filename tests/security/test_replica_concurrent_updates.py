"""Finding 17 (issue 17): concurrent replica updates left stale flags.

Sixteen requests with sixteen changed tokens of one user: each computed its change list from a
read made before the identity's row lock, so a field the newest token agreed with at that read
was left out of its write, and an older token's value, committed in between, stayed. A user
removed from staff kept ``is_staff=True``. The changes are now computed again from the rows read
under the lock. A real PostgreSQL row lock and real threads, each on its own connection.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import override_settings

from fastcognito.django.users import sync_user
from fastcognito.django.users.models import CognitoIdentity
from tests.support import TokenFactory
from tests.support.django.replica_attacks import pool_claims, replica_settings

THREADS = 16
ROUNDS = 3


def tokens_of(tokens: TokenFactory, jwks_document: dict[str, Any], user: str) -> tuple[Any, list[Any]]:
    """The user's first token (not staff), then sixteen newer ones: fifteen that put the user in
    the staff group, and the newest, which takes them out of it again."""
    now = int(time.time())
    sub = f"{user:0>8}-0000-4000-8000-000000000000"

    def token(iat: int, given_name: str, groups: list[str]) -> Any:
        claims = {"sub": sub, "iat": iat, "given_name": given_name, "cognito:groups": groups}
        return pool_claims(tokens, jwks_document, **claims, **{"cognito:username": user})

    first = token(now - 1000, "First", [])
    changed = [token(now - 100 + number, f"Older {number}", ["editors"]) for number in range(THREADS - 1)]
    return first, [*changed, token(now - 100 + THREADS, "Newest", [])]


@pytest.mark.django_db(transaction=True, databases=["pg"])
def test_sixteen_changed_tokens_at_once_end_in_the_newest_tokens_state(
    tokens: TokenFactory, jwks_document: dict[str, Any]
) -> None:
    with override_settings(FASTCOGNITO=replica_settings(jwks_document, "pg")):
        for round_number in range(ROUNDS):
            first, changed = tokens_of(tokens, jwks_document, f"user{round_number}")
            user = sync_user(first)
            assert not user.is_staff
            barrier = threading.Barrier(THREADS)
            errors: list[BaseException] = []

            def request(claims: Any) -> None:
                try:
                    barrier.wait(timeout=30)
                    sync_user(claims)
                except BaseException as err:  # noqa: BLE001  (reported by the assertion below)
                    errors.append(err)
                finally:
                    connections.close_all()

            threads = [threading.Thread(target=request, args=(claims,)) for claims in changed]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert errors == []

            newest = changed[-1]
            stored = User.objects.using("pg").get(pk=user.pk)
            assert (stored.first_name, stored.is_staff) == ("Newest", False), f"round {round_number}"
            assert list(stored.groups.values_list("name", flat=True)) == []
            identity = CognitoIdentity.objects.using("pg").get(user=stored)
            assert identity.synced_iat == newest["iat"]
