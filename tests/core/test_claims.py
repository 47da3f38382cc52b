"""``Claims`` as the verifier returns it, on both twins: mapping access, typed accessors,
read-only, ``to_dict``, pickling and equality (DESIGN.md §3)."""

from __future__ import annotations

import copy
import json
import pickle
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from fastcognito import Claims, CognitoVerifier
from tests.support import CLIENT_ID, ISSUER, OTHER_CLIENT_ID, TokenFactory, access_claims, id_claims

NOW = 1_700_000_000

MakeVerifier = Callable[..., CognitoVerifier]


@pytest.fixture
def verify(make_verifier: MakeVerifier) -> Callable[[str], Claims]:
    verifier = make_verifier(client_id=[CLIENT_ID, OTHER_CLIENT_ID], token_use=None, clock=lambda: NOW)
    return verifier.verify


def test_mapping_access(verify: Callable[[str], Claims], tokens: TokenFactory) -> None:
    expected = access_claims(now=NOW)
    claims = verify(tokens.access(now=NOW))
    assert isinstance(claims, Mapping)
    assert claims["sub"] == expected["sub"]
    assert claims["exp"] == NOW + 3600
    assert claims["version"] == 2
    assert "jti" in claims
    assert "nope" not in claims
    assert claims.get("nope") is None
    assert claims.get("nope", 7) == 7
    assert claims.get("username") == "alice"
    assert len(claims) == len(expected)
    assert set(claims) == set(expected)
    assert set(claims.keys()) == set(expected)
    assert dict(claims.items())["scope"] == expected["scope"]
    assert list(claims["cognito:groups"]) == ["admins", "editors"]
    with pytest.raises(KeyError):
        claims["nope"]


def test_access_token_accessors(verify: Callable[[str], Claims], tokens: TokenFactory) -> None:
    claims = verify(tokens.access(now=NOW))
    assert claims.sub == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    assert claims.username == "alice"
    assert claims.groups == ("admins", "editors")
    assert type(claims.groups) is tuple
    assert claims.scopes == frozenset({"aws.cognito.signin.user.admin", "openid", "profile"})
    assert type(claims.scopes) is frozenset
    assert claims.token_use == "access"
    assert claims.client_id == CLIENT_ID
    assert claims.exp == NOW + 3600
    assert claims.issuer == ISSUER


def test_id_token_accessors(verify: Callable[[str], Claims], tokens: TokenFactory) -> None:
    claims = verify(tokens.id(now=NOW))
    assert claims.username == "alice"  # from cognito:username
    assert claims.client_id == CLIENT_ID  # from aud
    assert claims.token_use == "id"
    assert claims.groups == ("admins",)
    assert claims.scopes == frozenset()
    assert claims["email"] == "alice@example.com"
    assert claims["email_verified"] is True


def test_username_prefers_username_over_cognito_username(
    verify: Callable[[str], Claims], tokens: TokenFactory
) -> None:
    claims = verify(tokens.id(now=NOW, username="alice-login", **{"cognito:username": "alice-cognito"}))
    assert claims.username == "alice-login"


def test_client_id_prefers_client_id_over_aud(verify: Callable[[str], Claims], tokens: TokenFactory) -> None:
    claims = verify(tokens.access(now=NOW, aud=OTHER_CLIENT_ID))
    assert claims.client_id == CLIENT_ID


def test_accessors_of_absent_claims(verify: Callable[[str], Claims], tokens: TokenFactory, DROP: Any) -> None:
    claims = verify(tokens.access(now=NOW, username=DROP, scope=DROP, sub=DROP, **{"cognito:groups": DROP}))
    assert claims.username is None
    assert claims.sub is None
    assert claims.groups == ()
    assert claims.scopes == frozenset()
    assert "cognito:groups" not in claims


def test_scopes_split_on_spaces(verify: Callable[[str], Claims], tokens: TokenFactory) -> None:
    claims = verify(tokens.access(now=NOW, scope="  read:a   write:b "))
    assert claims.scopes == frozenset({"read:a", "write:b"})
    assert claims["scope"] == "  read:a   write:b "


def test_read_only(verify: Callable[[str], Claims], tokens: TokenFactory) -> None:
    claims = verify(tokens.access(now=NOW, address={"street": "1 Main St", "lines": ["a", "b"]}))
    for name in (
        "sub",
        "username",
        "groups",
        "scopes",
        "token_use",
        "client_id",
        "exp",
        "issuer",
        "anything",
    ):
        with pytest.raises(AttributeError):
            setattr(claims, name, "x")
    for name in ("sub", "groups", "exp"):
        with pytest.raises(AttributeError):
            delattr(claims, name)
    with pytest.raises(TypeError):
        claims["sub"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        claims["new"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        del claims["sub"]  # type: ignore[attr-defined]
    for method in ("update", "pop", "popitem", "clear", "setdefault"):
        assert not hasattr(claims, method)
    groups = claims["cognito:groups"]
    with pytest.raises(AttributeError):
        groups.append("root")
    with pytest.raises(TypeError):
        groups[0] = "root"
    address = claims["address"]
    with pytest.raises(TypeError):
        address["street"] = "2 Main St"
    with pytest.raises((AttributeError, TypeError)):
        address["lines"].append("c")
    assert claims.groups == ("admins", "editors")
    assert address["street"] == "1 Main St"
    assert list(address["lines"]) == ["a", "b"]


def test_to_dict_is_a_plain_mutable_copy(verify: Callable[[str], Claims], tokens: TokenFactory) -> None:
    payload = access_claims(
        now=NOW, address={"street": "1 Main St", "lines": ["a", "b"]}, ratio=0.5, flag=None
    )
    claims = verify(tokens.access(now=NOW, address=payload["address"], ratio=0.5, flag=None))
    plain = claims.to_dict()
    assert type(plain) is dict
    assert plain == payload
    assert type(plain["cognito:groups"]) is list
    assert type(plain["address"]) is dict
    assert type(plain["address"]["lines"]) is list
    assert json.loads(json.dumps(plain)) == payload
    plain["sub"] = "root"
    plain["cognito:groups"].append("root")
    plain["address"]["lines"].append("c")
    assert claims["sub"] == payload["sub"]
    assert claims.groups == ("admins", "editors")
    assert list(claims["address"]["lines"]) == ["a", "b"]
    assert claims.to_dict() == payload


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickling(verify: Callable[[str], Claims], tokens: TokenFactory, protocol: int) -> None:
    claims = verify(tokens.id(now=NOW, aud=[CLIENT_ID, OTHER_CLIENT_ID], nested={"a": [1, {"b": 2}]}))
    restored = pickle.loads(pickle.dumps(claims, protocol=protocol))
    assert type(restored) is Claims
    assert restored == claims
    assert restored.to_dict() == claims.to_dict()
    for name in ("sub", "username", "groups", "scopes", "token_use", "client_id", "exp", "issuer"):
        assert getattr(restored, name) == getattr(claims, name), name
    with pytest.raises(AttributeError):
        restored.sub = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        restored["sub"] = "x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        restored["cognito:groups"].append("root")


def test_copy_keeps_equal_read_only_claims(verify: Callable[[str], Claims], tokens: TokenFactory) -> None:
    claims = verify(tokens.access(now=NOW))
    for duplicate in (copy.copy(claims), copy.deepcopy(claims)):
        assert duplicate == claims
        with pytest.raises(AttributeError):
            duplicate.sub = "x"  # type: ignore[misc]


def test_equality(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    token = tokens.access(now=NOW)
    first = make_verifier(clock=lambda: NOW).verify(token)
    second = make_verifier(clock=lambda: NOW).verify(token)
    assert first is not second
    assert first == second
    assert not (first != second)
    other = make_verifier(clock=lambda: NOW).verify(tokens.access(now=NOW, sub="someone-else"))
    assert first != other
    assert first != access_claims(now=NOW, sub="someone-else")
    assert first != "not claims"
    assert first != 5
    assert first != [("sub", first.sub)]


def test_equal_to_the_payload_as_a_plain_dict(verify: Callable[[str], Claims], tokens: TokenFactory) -> None:
    # Claims compare equal to any mapping of the same claims, arrays included: a dict built
    # from the JSON has lists where Claims hold read-only sequences.
    payload = access_claims(now=NOW)
    claims = verify(tokens.access(now=NOW))
    assert claims == payload
    assert payload == claims
    assert claims == claims.to_dict()
    assert claims != {**payload, "cognito:groups": ["admins"]}


def test_repr_names_the_subject_not_the_token(verify: Callable[[str], Claims], tokens: TokenFactory) -> None:
    token = tokens.access(now=NOW)
    text = repr(verify(token))
    assert "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" in text
    assert token not in text
    assert token.split(".")[2] not in text


def test_id_claims_round_trip(verify: Callable[[str], Claims], tokens: TokenFactory) -> None:
    assert verify(tokens.id(now=NOW)).to_dict() == id_claims(now=NOW)


# --- arrays decoded on first read --------------------------------------------------------------

MANY_GROUPS = [f"dept-{number:03d}-rw" for number in range(200)]
ARRAYS = {"cognito:groups": MANY_GROUPS, "custom:roles": ["a", 1, None, True], "custom:empty": []}


def _expected_frozen(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: tuple(value) if isinstance(value, list) else value for name, value in payload.items()}


FIRST_READS: dict[str, Callable[[Claims], object]] = {
    "item": lambda claims: claims["cognito:groups"],
    "groups": lambda claims: claims.groups,
    "get": lambda claims: claims.get("custom:roles"),
    "values": lambda claims: list(claims.values()),
    "items": lambda claims: dict(claims.items()),
    "dict": dict,
    "equality": lambda claims: claims == {},
    "to_dict": lambda claims: claims.to_dict(),
    "pickle": lambda claims: pickle.loads(pickle.dumps(claims)),
    "copy": copy.deepcopy,
}


@pytest.mark.parametrize("first", list(FIRST_READS))
def test_arrays_read_alike_whatever_reads_them_first(
    verify: Callable[[str], Claims], tokens: TokenFactory, first: str
) -> None:
    # The twins may leave arrays no check reads undecoded until someone reads them (200 groups
    # are most of a 5 kB token): every way in sees the same read-only claims.
    payload = access_claims(now=NOW, **ARRAYS)
    claims = verify(tokens.access(now=NOW, **ARRAYS))
    FIRST_READS[first](claims)
    assert claims["cognito:groups"] == tuple(MANY_GROUPS)
    assert type(claims["cognito:groups"]) is tuple
    assert claims.groups == tuple(MANY_GROUPS)
    assert claims.get("custom:roles") == ("a", 1, None, True)
    assert claims.get("custom:empty") == ()
    assert claims.get("custom:missing", ["default"]) == ["default"]
    assert "custom:missing" not in claims
    assert list(claims) == list(payload)
    assert len(claims) == len(payload)
    assert dict(claims) == _expected_frozen(payload)
    assert claims == payload and payload == claims
    assert claims.to_dict() == payload
    restored = pickle.loads(pickle.dumps(claims))
    assert restored == claims and restored.groups == tuple(MANY_GROUPS)
    with pytest.raises(AttributeError):
        claims["cognito:groups"].append("root")  # type: ignore[attr-defined]


def test_two_verifies_of_one_token_are_equal_before_any_read(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    token = tokens.access(now=NOW, **ARRAYS)
    first = make_verifier(clock=lambda: NOW).verify(token)
    second = make_verifier(clock=lambda: NOW).verify(token)
    assert first == second
    assert first != make_verifier(clock=lambda: NOW).verify(
        tokens.access(now=NOW, **{**ARRAYS, "cognito:groups": MANY_GROUPS[:-1]})
    )


def test_threads_reading_one_cached_claims_first_agree(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    # One Claims object is shared by every cache hit: concurrent first reads of a pending array
    # all see the same value, and the claims stay whole.
    verifier = make_verifier(clock=lambda: NOW, cache_size=8)
    token = tokens.access(now=NOW, **ARRAYS)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(20):
            verifier.clear_cache()
            claims = verifier.verify(token)
            start = threading.Barrier(8)
            seen: list[object] = []

            def reader() -> None:
                start.wait()
                seen.append((verifier.verify(token).groups, claims.get("custom:roles"), claims.to_dict()))

            threads = [threading.Thread(target=reader) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            expected = (tuple(MANY_GROUPS), ("a", 1, None, True), access_claims(now=NOW, **ARRAYS))
            assert seen == [expected] * 8
    finally:
        sys.setswitchinterval(previous)


def test_cached_claims_share_what_tokens_repeat(
    make_verifier: MakeVerifier, tokens: TokenFactory, DROP: Any
) -> None:
    # Each cache entry holds its claims: the issuer and token_use of every token of the pool are
    # one str, whatever the shape of the payloads before (a claim more or less shifts the rest).
    verify = make_verifier(client_id=CLIENT_ID, token_use="access", clock=lambda: NOW).verify
    shapes = [{}, {"cognito:groups": DROP}, {"custom:extra": "x"}, {}, {"cognito:groups": DROP}]
    found = [
        verify(tokens.access(now=NOW, sub=f"user-{index}", username=f"u{index}", **shape))
        for index, shape in enumerate(shapes)
    ]
    assert len({id(claims["iss"]) for claims in found}) == 1
    assert len({id(claims["token_use"]) for claims in found}) == 1
    assert [claims["sub"] for claims in found] == [f"user-{index}" for index in range(len(shapes))]


def test_group_names_are_shared_between_tokens_once_read(
    verify: Callable[[str], Claims], tokens: TokenFactory
) -> None:
    groups = [f"dept-{index:03d}" for index in range(50)]
    first = verify(tokens.access(now=NOW, sub="one", **{"cognito:groups": groups}))
    second = verify(tokens.access(now=NOW, sub="two", **{"cognito:groups": list(reversed(groups))}))
    assert first.groups == tuple(groups) and second.groups == tuple(reversed(groups))
    assert all(a is b for a, b in zip(first.groups, reversed(second.groups)))
    assert second["cognito:groups"] is second["cognito:groups"]
