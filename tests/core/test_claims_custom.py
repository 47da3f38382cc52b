"""Custom claims from the pre-token-generation trigger (V2 and V3): numbers, booleans, null,
arrays and objects pass through with their JSON types, read-only, on both twins."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from fastcognito import CognitoVerifier, MalformedTokenError
from tests.support import TokenFactory

CUSTOM: dict[str, Any] = {
    "tenant_id": 42,
    "negative": -7,
    "large": 2**62,
    "ratio": 0.125,
    "exponent": 1.5e300,
    "tiny": 5e-324,
    "admin": True,
    "blocked": False,
    "nothing": None,
    "label": 'caf\u00e9 \u2603 "quoted" \\ / \n',
    "empty_list": [],
    "empty_object": {},
    "roles": ["reader", "writer"],
    "mixed": [1, 2.5, "three", True, None, {"four": 4}, [5]],
    "profile": {"plan": "gold", "seats": 12, "trial": False, "limits": {"cpu": 1.5, "regions": ["eu", "us"]}},
    "custom:department": "R&D",
}


def nested(depth: int) -> Any:
    """``depth`` levels of alternating objects and arrays around one number."""
    value: Any = 1
    for level in range(depth):
        value = {"level": level, "next": value} if level % 2 else [value, level]
    return value


def assert_same_json(actual: Any, expected: Any) -> None:
    """Equal values of the same JSON kinds all the way down: bool is not int, int is not float."""
    if isinstance(expected, dict):
        assert isinstance(actual, Mapping) and not isinstance(actual, dict | list)
        assert list(actual) == list(expected)
        for key in expected:
            assert_same_json(actual[key], expected[key])
    elif isinstance(expected, list):
        assert isinstance(actual, Sequence) and not isinstance(actual, str | list)
        assert len(actual) == len(expected)
        for item, want in zip(actual, expected, strict=True):
            assert_same_json(item, want)
    else:
        assert type(actual) is type(expected)
        assert actual == expected


@pytest.mark.parametrize("kind", ["access", "id"])
def test_custom_claims_keep_their_json_types(
    make_verifier: Callable[..., CognitoVerifier], tokens: TokenFactory, kind: str
) -> None:
    verifier = make_verifier(token_use=kind)
    token = getattr(tokens, kind)(**CUSTOM)
    claims = verifier.verify(token)
    for name, value in CUSTOM.items():
        assert_same_json(claims[name], value)
    plain = claims.to_dict()
    assert {name: plain[name] for name in CUSTOM} == CUSTOM
    assert json.loads(json.dumps(plain))["profile"] == CUSTOM["profile"]
    assert claims == {**plain}
    # A cache hit hands out the same read-only object.
    assert verifier.verify(token) is claims
    assert pickle.loads(pickle.dumps(claims)) == claims


def test_custom_claims_are_read_only(
    make_verifier: Callable[..., CognitoVerifier], tokens: TokenFactory
) -> None:
    claims = make_verifier().verify(tokens.access(**CUSTOM))
    profile: Any = claims["profile"]
    roles: Any = claims["roles"]
    with pytest.raises(TypeError):
        profile["plan"] = "free"
    with pytest.raises(TypeError):
        profile["limits"]["cpu"] = 64
    with pytest.raises((TypeError, AttributeError)):
        roles.append("root")
    with pytest.raises((TypeError, AttributeError)):
        claims["mixed"][5]["four"] = 0  # type: ignore[index]
    with pytest.raises(TypeError):
        claims["tenant_id"] = 1  # type: ignore[index]
    # to_dict() is a copy: changing it changes nothing that later requests see.
    copy = claims.to_dict()
    copy["profile"]["plan"] = "free"
    copy["roles"].append("root")
    assert claims["profile"]["plan"] == "gold" and claims["roles"] == ("reader", "writer")


def test_claims_named_like_accessors_do_not_change_them(
    make_verifier: Callable[..., CognitoVerifier], tokens: TokenFactory
) -> None:
    claims = make_verifier().verify(tokens.access(groups=["root"], scopes=["all"], issuer="me"))
    assert claims.groups == ("admins", "editors")
    assert "all" not in claims.scopes
    assert claims.issuer != "me" and claims["issuer"] == "me"
    assert claims["groups"] == ("root",)


@pytest.mark.parametrize("depth", [1, 2, 16, 32])
def test_deep_nesting(
    make_verifier: Callable[..., CognitoVerifier], tokens: TokenFactory, depth: int
) -> None:
    value = nested(depth)
    claims = make_verifier().verify(tokens.access(deep=value))
    assert_same_json(claims["deep"], value)
    assert claims.to_dict()["deep"] == value


@pytest.mark.parametrize(
    ("count", "max_token_bytes"),
    [(600, None), (1000, 16 * 1024), (12000, 128 * 1024)],
)
def test_large_arrays_within_the_size_cap(
    make_verifier: Callable[..., CognitoVerifier],
    tokens: TokenFactory,
    count: int,
    max_token_bytes: int | None,
) -> None:
    options = {} if max_token_bytes is None else {"max_token_bytes": max_token_bytes}
    verifier = make_verifier(**options)
    numbers = list(range(count))
    objects = [{"id": index, "on": index % 2 == 0} for index in range(count // 10)]
    token = tokens.access(numbers=numbers, objects=objects)
    assert len(token) <= (max_token_bytes or 8 * 1024)
    claims = verifier.verify(token)
    assert claims["numbers"] == tuple(numbers)
    assert claims.to_dict()["objects"] == objects
    assert all(type(item["on"]) is bool for item in claims["objects"])


def test_an_array_over_the_size_cap_is_malformed(
    make_verifier: Callable[..., CognitoVerifier], tokens: TokenFactory
) -> None:
    token = tokens.access(numbers=list(range(3000)))
    assert len(token) > 8 * 1024
    with pytest.raises(MalformedTokenError, match="size"):
        make_verifier().verify(token)
