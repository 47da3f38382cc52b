"""Issue 17, finding 2: ``scope`` is split on the space character U+0020 only (RFC 6749 §3.3).

``"orders/write\\torders/read"`` is one scope-token (an odd one, which matches nothing), not
``orders/write`` and ``orders/read``: a tab, U+00A0, U+2028 or any other whitespace must not
grant a scope the token was not issued. The check runs on both twins (``twin``), and
``Claims.scopes`` (so ``CognitoUser.scopes`` and ``HasScope``) splits exactly as the check does.
Empty pieces (runs of spaces, leading or trailing ones) are not scope-tokens and are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fastcognito import CognitoVerifier, MissingScopeError
from tests.support import TokenFactory

# Every character that str.split() breaks on, U+0020 aside: tab, line breaks, U+00A0, U+2028, ...
NOT_SEPARATORS = [chr(code) for code in range(0x110000) if chr(code).isspace() and code != 0x20]

MakeVerifier = Callable[..., CognitoVerifier]


@pytest.mark.parametrize("separator", NOT_SEPARATORS, ids=lambda char: f"U+{ord(char):04X}")
def test_scope_joined_by_other_whitespace_does_not_grant_the_required_scope(
    make_verifier: MakeVerifier, tokens: TokenFactory, separator: str
) -> None:
    scope = f"orders/write{separator}orders/read"
    token = tokens.access(scope=scope)
    with pytest.raises(MissingScopeError) as info:
        make_verifier(scopes="orders/read").verify(token)
    assert info.value.actual == scope
    # Claims.scopes agrees with the check: one scope-token, not two.
    assert make_verifier().verify(token).scopes == frozenset({scope})


@pytest.mark.parametrize("scope", ["orders/write orders/read", "orders/write  orders/read", " orders/read "])
def test_scopes_separated_by_spaces_still_grant(
    make_verifier: MakeVerifier, tokens: TokenFactory, scope: str
) -> None:
    claims = make_verifier(scopes="orders/read").verify(tokens.access(scope=scope))
    assert "orders/read" in claims.scopes
    assert "" not in claims.scopes


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("a b", {"a", "b"}),
        ("a  b", {"a", "b"}),
        ("  a   b  ", {"a", "b"}),
        ("   ", set()),
        ("", set()),
        ("a\tb", {"a\tb"}),
        ("a\u00a0b c", {"a\u00a0b", "c"}),
    ],
)
def test_split_scope_on_u0020_only_and_drops_empty_pieces(scope: str, expected: set[str]) -> None:
    from fastcognito.claims import split_scope

    assert split_scope(scope) == frozenset(expected)


def test_only_spaces_grant_no_scope(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    with pytest.raises(MissingScopeError):
        make_verifier(scopes="orders/read").verify(tokens.access(scope="  \t  "))


# --- the permission class of DRF reads Claims.scopes ---------------------------------------------


@pytest.mark.usefixtures("fastcognito_config")
def test_has_scope_refuses_a_scope_joined_by_a_tab(api_client: Any, tokens: TokenFactory) -> None:
    # /drf/perm/scope-openid/ requires HasScope("openid").
    joined = tokens.access(scope="profile\topenid")
    response = api_client.get("/drf/perm/scope-openid/", HTTP_AUTHORIZATION=f"Bearer {joined}")
    assert response.status_code == 403, response.content
    spaced = tokens.access(scope="profile openid")
    response = api_client.get("/drf/perm/scope-openid/", HTTP_AUTHORIZATION=f"Bearer {spaced}")
    assert response.status_code == 200, response.content
