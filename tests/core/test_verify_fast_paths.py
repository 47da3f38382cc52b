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

from fastcognito import InvalidSignatureError, MalformedTokenError, TokenError
from tests.support import TokenFactory, access_claims, b64url, sign_token

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
