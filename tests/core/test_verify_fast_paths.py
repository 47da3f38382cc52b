"""The common case proved in one go, and everything else checked step by step, on both twins.

The pure twin proves a well-formed token's segments in one pass over the whole token. Whatever
that pass cannot prove goes through the step-by-step checks, so each input here, which that pass
refuses, must still be named exactly as the step-by-step checks name it (and as the compiled twin
does): the class, the message and the claim details, and the first fault in the contract's order
when there are several.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from fastcognito import (
    ExpiredTokenError,
    InvalidClientError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenUseError,
    MalformedTokenError,
    NotYetValidError,
    TokenError,
)
from tests.support import CLIENT_ID, DROP, TokenFactory, access_claims, b64url, sign_token

NOW = 1_700_000_000
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
THREE_SEGMENTS = "the token does not have exactly three segments"
EMPTY_SEGMENT = "the token has an empty segment"
B64_LENGTH = "a segment is not valid base64url: impossible length"
B64_ALPHABET = "a segment is not valid base64url: character outside the alphabet"
B64_TRAILING = "a segment is not valid base64url: non-canonical trailing bits"

MakeVerifier = Callable[..., Any]


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _segments(token: str) -> list[str]:
    return token.split(".")


def _replace(token: str, index: int, segment: str) -> str:
    parts = _segments(token)
    parts[index] = segment
    return ".".join(parts)


def _noncanonical(segment: str) -> str:
    """``segment`` with the unused bits of its last character set (RFC 4648 §3.5)."""
    unused = {2: 0x0F, 3: 0x03}[len(segment) % 4]
    last = ALPHABET.index(segment[-1])
    assert last & unused == 0
    return segment[:-1] + ALPHABET[last | unused]


def _one_too_many(segment: str) -> str:
    """``segment`` grown to a length of 1 more than a multiple of 4, which no data encodes to."""
    return segment + "A" * ((1 - len(segment)) % 4 or 4)


def _payload_of_length(remainder: int) -> dict[str, Any]:
    """Access claims whose payload segment has ``len % 4 == remainder`` (2 or 3)."""
    for filler in range(8):
        claims = access_claims(now=NOW, nickname="x" * filler)
        if len(b64url(_json(claims))) % 4 == remainder:
            return claims
    raise AssertionError("no filler gave that length")


def _rejection(make_verifier: MakeVerifier, token: str | bytes) -> tuple[type[TokenError], str]:
    verifier = make_verifier(clock=lambda: NOW + 10)
    with pytest.raises(TokenError) as caught:
        verifier.verify(token)
    return type(caught.value), str(caught.value)


# --- step 3: segments and base64url -----------------------------------------------------------


def test_the_one_pass_accepts_a_plain_token(tokens: TokenFactory, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(clock=lambda: NOW + 10)
    for remainder in (2, 3):
        token = tokens.raw(tokens.header(), _payload_of_length(remainder))
        assert verifier.verify(token)["iat"] == NOW


@pytest.mark.parametrize(
    ("name", "build", "message"),
    [
        # A fourth segment leaves a "." in what the one pass takes for the signature.
        ("fourth segment", lambda t: t + "." + _segments(t)[2], THREE_SEGMENTS),
        ("fourth segment, empty", lambda t: t + ".", THREE_SEGMENTS),
        ("a dot inside the signature", lambda t: t[:-20] + "." + t[-19:], THREE_SEGMENTS),
        ("two segments", lambda t: t.rsplit(".", 1)[0], THREE_SEGMENTS),
        ("no dot", lambda t: t.replace(".", ""), THREE_SEGMENTS),
        ("empty header", lambda t: _replace(t, 0, ""), EMPTY_SEGMENT),
        ("empty payload", lambda t: _replace(t, 1, ""), EMPTY_SEGMENT),
        ("empty signature", lambda t: _replace(t, 2, ""), EMPTY_SEGMENT),
        # Several faults: the segment count first, then empty segments, then the payload.
        ("fourth segment and a bad payload", lambda t: _replace(t, 1, "*") + ".x", THREE_SEGMENTS),
        ("empty signature and a bad payload", lambda t: _replace(_replace(t, 1, "*"), 2, ""), EMPTY_SEGMENT),
        ("bad payload and bad signature", lambda t: _replace(_replace(t, 1, "A*"), 2, "AAAAA"), B64_ALPHABET),
        (
            "payload of impossible length",
            lambda t: _replace(t, 1, _one_too_many(_segments(t)[1])),
            B64_LENGTH,
        ),
        (
            "signature of impossible length",
            lambda t: _replace(t, 2, _one_too_many(_segments(t)[2])),
            B64_LENGTH,
        ),
        ("padding on the signature", lambda t: t + "==", B64_ALPHABET),
        (
            "standard alphabet in the signature",
            lambda t: _replace(t, 2, "+/" + _segments(t)[2][2:]),
            B64_ALPHABET,
        ),
        ("a space in the payload", lambda t: _replace(t, 1, " " + _segments(t)[1][1:]), B64_ALPHABET),
        ("non-canonical signature", lambda t: _replace(t, 2, _noncanonical(_segments(t)[2])), B64_TRAILING),
    ],
)
def test_what_the_one_pass_refuses_is_named_step_by_step(
    tokens: TokenFactory, make_verifier: MakeVerifier, name: str, build: Callable[[str], str], message: str
) -> None:
    token = build(tokens.raw(tokens.header(), access_claims(now=NOW)))
    assert _rejection(make_verifier, token) == (MalformedTokenError, message), name


@pytest.mark.parametrize("remainder", [2, 3])
def test_non_canonical_payload_is_named_before_the_signature(
    tokens: TokenFactory, make_verifier: MakeVerifier, remainder: int
) -> None:
    payload = _noncanonical(b64url(_json(_payload_of_length(remainder))))
    token = sign_token(tokens.header(), payload, tokens.key)
    assert _rejection(make_verifier, token) == (MalformedTokenError, B64_TRAILING)


def test_standard_alphabet_in_the_header_alone_is_named_by_the_header(
    tokens: TokenFactory, make_verifier: MakeVerifier
) -> None:
    # "+" anywhere keeps the whole token out of the one pass; the payload and the signature are
    # still good, so the fault named is the header's.
    for filler in range(64):
        header = base64.b64encode(_json(tokens.header(x="~" * filler + "?>"))).decode().rstrip("=")
        if "+" in header or "/" in header:
            break
    token = sign_token(header, access_claims(now=NOW), tokens.key)
    assert _rejection(make_verifier, token) == (MalformedTokenError, B64_ALPHABET)


def test_a_good_signature_segment_of_the_wrong_size_is_an_invalid_signature(
    tokens: TokenFactory, make_verifier: MakeVerifier
) -> None:
    # The one pass decodes it; the RSA check then refuses its length.
    token = _replace(tokens.raw(tokens.header(), access_claims(now=NOW)), 2, b64url(b"\x01" * 255))
    assert _rejection(make_verifier, token)[0] is InvalidSignatureError


# --- step 4 and 7: JSON nesting ----------------------------------------------------------------

# (text, nests more than 64 deep). One opener of each kind at most is proved shallow at once;
# a second opener of either kind sends the text to the count and then the state machine.
NESTING = [
    ("", False),
    ("{}", False),
    ('{"a":[1,2]}', False),
    ("[{", False),
    ("]}[{", False),
    ('{"a":"["}', False),
    ("[" + "{" * 63, False),
    ("[" + "{" * 64, True),
    ("{" + "[" * 63, False),
    ("{" + "[" * 64, True),
    ("[" + "]" * 70 + "{" + "}" * 70, False),
    ("[[" + '"' + "{" * 100 + '"', False),
    ("{{" + '"' + "[" * 100 + '"' + "[" * 62, False),
    ("{{" + '"' + "[" * 100 + '"' + "[" * 63, True),
]


@pytest.mark.parametrize(("text", "expected"), NESTING)
def test_json_nesting_beyond_the_quick_proof(twin: Any, text: str, expected: bool) -> None:
    assert twin.module.json_too_deep(text) is expected


def test_a_payload_with_nested_objects_is_verified(tokens: TokenFactory, make_verifier: MakeVerifier) -> None:
    claims = access_claims(now=NOW, address={"street": "x", "geo": {"lat": 1}}, roles=[["a"], ["b"]])
    verified = make_verifier(clock=lambda: NOW + 10).verify(tokens.raw(tokens.header(), claims))
    assert verified["address"]["geo"]["lat"] == 1
    assert verified["roles"][1][0] == "b"


# --- step 7: the payload's JSON ----------------------------------------------------------------

NOT_JSON = "the payload is not valid JSON"
NOT_OBJECT = "the payload is not a JSON object"
TOO_DEEP = "the payload nests arrays or objects more than 64 deep"


def _claims_json(**overrides: Any) -> bytes:
    return _json(access_claims(now=NOW, **overrides))


# Signed payloads that the pure twin's one-step parse of a plain payload cannot take (a second
# "[" or "{", bytes around the object, not UTF-8, not an object): each must be named as the
# step-by-step parse names it, on both twins, or accepted where that parse accepts it.
PAYLOAD_CASES: list[tuple[str, bytes, str | None]] = [
    ("a second array", _claims_json(roles=["a"]), None),
    ("a second object", _claims_json(address={"street": "x"}), None),
    ("no array at all", _claims_json(**{"cognito:groups": DROP}), None),
    ("whitespace around the object", b" " + _claims_json() + b"\n", None),
    ("64 levels deep", _claims_json()[:-1] + b',"x":' + b"[" * 63 + b"]" * 63 + b"}", None),
    ("65 levels deep", _claims_json()[:-1] + b',"x":' + b"[" * 64 + b"]" * 64 + b"}", TOO_DEEP),
    ("not UTF-8", _claims_json()[:-1] + b',"nickname":"\xe9"}', NOT_JSON),
    ("a second value after the object", _claims_json() + b"{}", NOT_JSON),
    ("garbage after the object", _claims_json() + b"x", NOT_JSON),
    ("cut short", _claims_json()[:-1], NOT_JSON),
    ("NaN", _claims_json()[:-1] + b',"x":NaN}', NOT_JSON),
    ("an array", b"[" + _claims_json() + b"]", NOT_OBJECT),
    ("a string", b'"x"', NOT_OBJECT),
    ("null", b"null", NOT_OBJECT),
]


@pytest.mark.parametrize(
    ("name", "payload", "message"), PAYLOAD_CASES, ids=[case[0] for case in PAYLOAD_CASES]
)
def test_what_the_one_step_parse_cannot_take_is_parsed_step_by_step(
    tokens: TokenFactory, make_verifier: MakeVerifier, name: str, payload: bytes, message: str | None
) -> None:
    token = sign_token(tokens.header(), payload, tokens.key)
    if message is None:
        assert make_verifier(clock=lambda: NOW + 10).verify(token)["iat"] == NOW, name
    else:
        assert _rejection(make_verifier, token) == (MalformedTokenError, message), name


# --- step 7: claims ----------------------------------------------------------------------------

EXP = NOW + 3600
AUD_NOT_STRINGS = "the claim 'aud' is not a string or a list of strings"


def _claim_outcome(verifier: Any, token: str) -> tuple[Any, ...]:
    try:
        claims = verifier.verify(token)
    except TokenError as err:
        return (type(err), str(err), getattr(err, "claim", None), getattr(err, "actual", None))
    return ("claims", dict(claims))


# (name, claims overrides, verifier options, expected class or "claims", expected message or None)
CLAIM_CASES: list[tuple[str, dict[str, Any], dict[str, Any], Any, str | None]] = [
    # Accepted, but not provable at once: the step-by-step checks accept them.
    ("float exp", {"exp": EXP + 0.5}, {}, "claims", None),
    ("float iat", {"iat": NOW - 0.5}, {}, "claims", None),
    ("float auth_time", {"auth_time": NOW - 0.5}, {}, "claims", None),
    ("nbf in the past", {"nbf": NOW - 5}, {}, "claims", None),
    ("aud null", {"aud": None}, {}, "claims", None),
    ("aud a list", {"aud": ["x", "y"]}, {}, "claims", None),
    ("exp past 2**53, a float still", {"exp": 2**60}, {}, "claims", None),
    # Refused: the first fault in the contract's order is named.
    ("nbf null", {"nbf": None}, {}, MalformedTokenError, "the claim 'nbf' is not a finite number"),
    (
        "auth_time null",
        {"auth_time": None},
        {},
        MalformedTokenError,
        "the claim 'auth_time' is not a finite number",
    ),
    (
        "exp no float holds",
        {"exp": 10**400},
        {},
        MalformedTokenError,
        "the claim 'exp' is not a finite number",
    ),
    (
        "auth_time no float holds",
        {"auth_time": -(10**400)},
        {},
        MalformedTokenError,
        "the claim 'auth_time' is not a finite number",
    ),
    ("exp true", {"exp": True}, {}, MalformedTokenError, "the claim 'exp' is not a finite number"),
    ("iss a number", {"iss": 7}, {}, MalformedTokenError, "the claim 'iss' is not a string"),
    (
        "token_use a list",
        {"token_use": ["access"]},
        {},
        MalformedTokenError,
        "the claim 'token_use' is not a string",
    ),
    (
        "token_use an object",
        {"token_use": {"a": 1}},
        {},
        MalformedTokenError,
        "the claim 'token_use' is not a string",
    ),
    (
        "client_id a list",
        {"client_id": ["x"]},
        {},
        MalformedTokenError,
        "the claim 'client_id' is not a string",
    ),
    (
        "client_id a list, no client check",
        {"client_id": ["x"]},
        {"client_id": None},
        MalformedTokenError,
        "the claim 'client_id' is not a string",
    ),
    ("sub null", {"sub": None}, {}, MalformedTokenError, "the claim 'sub' is not a string"),
    (
        "groups null",
        {"cognito:groups": None},
        {},
        MalformedTokenError,
        "the claim 'cognito:groups' is not a list of strings",
    ),
    (
        "groups of numbers",
        {"cognito:groups": ["a", 1]},
        {},
        MalformedTokenError,
        "the claim 'cognito:groups' is not a list of strings",
    ),
    (
        "aud of numbers",
        {"aud": [1]},
        {},
        MalformedTokenError,
        "the claim 'aud' is not a string or a list of strings",
    ),
    (
        "wrong issuer and a bad sub",
        {"iss": "https://elsewhere", "sub": 1},
        {},
        MalformedTokenError,
        "the claim 'sub' is not a string",
    ),
    ("expired and wrong issuer", {"exp": NOW, "iss": "https://elsewhere"}, {}, ExpiredTokenError, None),
    (
        "issued in the future and wrong client",
        {"iat": NOW + 600, "client_id": "x"},
        {},
        NotYetValidError,
        "the token was issued in the future",
    ),
    ("nbf in the future", {"nbf": NOW + 600}, {}, NotYetValidError, None),
    (
        "wrong issuer and wrong token_use",
        {"iss": "https://elsewhere", "token_use": "id"},
        {},
        InvalidIssuerError,
        None,
    ),
    ("no issuer", {"iss": DROP}, {}, InvalidIssuerError, None),
    (
        "wrong token_use and wrong client",
        {"token_use": "id", "client_id": "x"},
        {},
        InvalidTokenUseError,
        None,
    ),
    (
        "unknown token_use, any accepted",
        {"token_use": "refresh"},
        {"token_use": None},
        InvalidTokenUseError,
        None,
    ),
    ("no token_use", {"token_use": DROP}, {}, InvalidTokenUseError, None),
    ("no client_id", {"client_id": DROP}, {}, InvalidClientError, None),
    ("no client_id, no client check", {"client_id": DROP}, {"client_id": None}, "claims", None),
    # Absent required claims, alone and behind another fault the contract names later.
    ("no exp", {"exp": DROP}, {}, MalformedTokenError, "the claim 'exp' is missing"),
    ("no iat", {"iat": DROP}, {}, MalformedTokenError, "the claim 'iat' is missing"),
    (
        "no exp and wrong issuer",
        {"exp": DROP, "iss": "https://elsewhere"},
        {},
        MalformedTokenError,
        "the claim 'exp' is missing",
    ),
    (
        "no iat and no token_use",
        {"iat": DROP, "token_use": DROP},
        {},
        MalformedTokenError,
        "the claim 'iat' is missing",
    ),
    ("aud a number", {"aud": 1}, {}, MalformedTokenError, AUD_NOT_STRINGS),
    ("aud an object", {"aud": {"a": 1}}, {}, MalformedTokenError, AUD_NOT_STRINGS),
    ("aud a str", {"aud": "x"}, {}, "claims", None),
    ("empty client_id", {"client_id": ""}, {}, InvalidClientError, None),
]


@pytest.mark.parametrize(
    ("name", "overrides", "options", "expected", "message"),
    CLAIM_CASES,
    ids=[case[0] for case in CLAIM_CASES],
)
def test_what_the_claims_proof_cannot_prove_is_checked_step_by_step(
    tokens: TokenFactory,
    make_verifier: MakeVerifier,
    name: str,
    overrides: dict[str, Any],
    options: dict[str, Any],
    expected: Any,
    message: str | None,
) -> None:
    verifier = make_verifier(clock=lambda: NOW + 10, **options)
    outcome = _claim_outcome(verifier, tokens.access(now=NOW, **overrides))
    if expected == "claims":
        assert outcome[0] == "claims", outcome
        return
    assert outcome[0] is expected, outcome
    if message is not None:
        assert outcome[1] == message


@pytest.mark.parametrize(
    ("aud", "expected"),
    [
        ("x", InvalidClientError),
        (None, InvalidClientError),
        ("", InvalidClientError),
        (["x", CLIENT_ID], "claims"),
    ],
)
def test_id_token_audience_beyond_the_proof(
    tokens: TokenFactory, make_verifier: MakeVerifier, aud: Any, expected: Any
) -> None:
    verifier = make_verifier(clock=lambda: NOW + 10, token_use="id")
    outcome = _claim_outcome(verifier, tokens.id(now=NOW, aud=aud))
    assert outcome[0] == expected, outcome


def test_a_cached_token_starts_at_the_later_of_iat_and_nbf(
    tokens: TokenFactory, make_verifier: MakeVerifier
) -> None:
    moment = [NOW + 10.0]
    verifier = make_verifier(clock=lambda: moment[0], cache_size=8)
    before_iat = tokens.access(now=NOW, nbf=NOW - 100)
    before_nbf = tokens.access(now=NOW, nbf=NOW + 5)
    assert verifier.verify(before_iat)["nbf"] == NOW - 100
    moment[0] = NOW + 6.0
    assert verifier.verify(before_nbf)["nbf"] == NOW + 5
    # The clock steps back: between nbf and iat, then before nbf; the cache answers neither.
    moment[0] = NOW - 50.0
    assert _claim_outcome(verifier, before_iat)[:3] == (
        NotYetValidError,
        "the token was issued in the future",
        "iat",
    )
    moment[0] = NOW + 4.0
    assert _claim_outcome(verifier, before_nbf)[:3] == (NotYetValidError, str(NotYetValidError()), "nbf")
