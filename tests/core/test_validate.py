"""The shared validators (``fastcognito._validate``): a leaf, written once, used by every layer."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path
from typing import Any

import pytest

from fastcognito import ConfigurationError, MalformedTokenError
from fastcognito._validate import (
    ENVIRONMENT,
    UNSET,
    check_url,
    environment_value,
    integer,
    is_https_url,
    is_loopback,
    is_string_collection,
    json_object,
    number,
    string_set,
    strings,
)

PACKAGE = Path(__file__).resolve().parents[2] / "fastcognito"


def test_it_is_a_leaf() -> None:
    tree = ast.parse((PACKAGE / "_validate.py").read_text(encoding="utf-8"))
    ours = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
    assert ours == {"_constants", "exceptions"}


# Names the copies had; each is defined in _validate only (or was a sentinel class of its own).
SHARED = re.compile(
    r"^(?:def|class) _?(check_url|is_loopback|string_set|strings|number|integer|json_object|reject_constant|"
    r"unique_object|url_ok|is_string_collection|Required|Unset)\b",
    re.MULTILINE,
)


def test_every_validator_is_defined_once() -> None:
    found = {}
    for path in [*PACKAGE.rglob("*.py"), PACKAGE / "_verify.pyx"]:
        for match in SHARED.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(1), []).append(path.relative_to(PACKAGE).as_posix())
    assert {name: paths for name, paths in found.items() if paths != ["_validate.py"]} == {}


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://cognito-idp.eu-west-1.amazonaws.com/pool", True),
        ("http://127.0.0.1:5000/pool", True),
        ("http://127.0.0.2/x", True),
        ("http://[::1]:8000/x", True),
        ("http://localhost/x", True),
        ("http://moto.localhost/x", True),
        ("http://example.com/x", False),
        ("https://", False),
        ("ftp://127.0.0.1/x", False),
        ("http://[::1/x", False),  # urlsplit raises: refused, not a crash
        ("", False),
        (None, False),
        (b"https://example.com", False),
    ],
)
def test_urls(url: Any, ok: bool) -> None:
    assert is_https_url(url) is ok
    if ok:
        assert check_url("issuer", url) == url
    else:
        with pytest.raises(ConfigurationError, match="^issuer must be"):
            check_url("issuer", url)


def test_loopback_hosts() -> None:
    assert is_loopback("localhost") and is_loopback("::1") and is_loopback("127.9.9.9")
    assert not is_loopback(None) and not is_loopback("") and not is_loopback("localhost.example.com")


@pytest.mark.parametrize("value", [None, "", [], [""], ["a", 1], {"a": 1}, b"ab", 5, [["a"]]])
def test_string_sets_refuse(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="^groups "):
        string_set("groups", value, allow_none=False)


def test_string_sets() -> None:
    assert string_set("groups", "a", allow_none=False) == frozenset({"a"})
    assert string_set("groups", ("a", "b", "a"), allow_none=False) == frozenset({"a", "b"})
    assert string_set("groups", None, allow_none=True) is None
    assert strings("a") == ("a",) and strings(["a", "b"]) == ("a", "b") and strings({"a": 1}) is None
    assert is_string_collection([]) and not is_string_collection([], allow_empty=False)
    assert not is_string_collection({"a": "b"}) and not is_string_collection("")


@pytest.mark.parametrize("value", [True, "1", None, float("nan"), float("inf"), -1])
def test_numbers_refuse(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="^leeway must"):
        number("leeway", value)


def test_numbers() -> None:
    assert number("leeway", 2) == 2.0 and isinstance(number("leeway", 2), float)
    assert integer("cache_size", 0, minimum=0) == 0
    for value in (True, 1.0, -1):
        with pytest.raises(ConfigurationError, match="^cache_size must be an integer of at least 0"):
            integer("cache_size", value, minimum=0)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff", "is not valid JSON"),
        (b"[]", "is not a JSON object"),
        (b'{"a": NaN}', "is not valid JSON"),
        (b'{"a": 1, "a": 2}', "is not valid JSON"),
        (b"[" * 65 + b"]" * 65, "nests arrays or objects more than 64 deep"),
    ],
)
def test_json_objects_refuse(raw: bytes, message: str) -> None:
    from fastcognito._impl import json_too_deep

    with pytest.raises(MalformedTokenError, match=f"^the header {message}"):
        json_object(raw, "header", unique=True, too_deep=json_too_deep)


def test_json_objects() -> None:
    assert json_object(b'{"a": 1, "a": 2}', "payload") == {"a": 2}  # duplicates only with unique
    assert json_object(b' {"a": [1]} ', "payload", unique=True) == {"a": [1]}


def test_the_unset_sentinel() -> None:
    assert repr(UNSET) == "<required>" and not UNSET
    assert pickle.loads(pickle.dumps(UNSET)) is UNSET


def test_the_environment_table() -> None:
    assert ENVIRONMENT["CLIENT_ID"] == ("AWS_COGNITO_APP_CLIENT_ID", "APP_CLIENT_ID")
    both = {"AWS_COGNITO_APP_CLIENT_ID": "first", "APP_CLIENT_ID": "second"}
    assert environment_value("CLIENT_ID", both) == ("AWS_COGNITO_APP_CLIENT_ID", "first")
    assert environment_value("CLIENT_ID", {"AWS_COGNITO_APP_CLIENT_ID": "", "APP_CLIENT_ID": "x"}) == (
        "APP_CLIENT_ID",
        "x",
    )
    assert environment_value("LEEWAY", {"LEEWAY": "5"}) is None
