"""The twins are one implementation: same public API, same literals, same outcome on every input.

The differential tests feed a large deterministic corpus (valid tokens and mutations of every
kind) to the compiled and the pure twin and require identical results: the same claims, or the
same exception class with the same message and the same claim details.
"""

from __future__ import annotations

import inspect
import json
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fastcognito import CognitoVerifier, _constants
from fastcognito import _verify as compiled
from fastcognito import _verify_py as pure
from fastcognito.claims import Claims
from tests.support import CLIENT_ID, ISSUER, KID, POOL_ID, access_claims, b64url, id_claims, sign_token

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_750_000_000
ALPHABET = _constants.B64URL_ALPHABET
# Characters outside the alphabet that a sender could slip in.
FOREIGN = ["=", "+", "/", ".", " ", "\n", "\t", "\x00", "\x7f", "*", "é", "€", "\udcff", "\U0001f600"]


# --- (a) public names, signatures and literals --------------------------------------------


def test_same_public_names() -> None:
    assert compiled.__all__ == pure.__all__
    for name in pure.__all__:
        assert hasattr(compiled, name), name


def _parameters(func: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]


@pytest.mark.parametrize("name", ["b64url_decode", "decode_header", "json_too_deep", "token_text"])
def test_same_function_signatures(name: str) -> None:
    assert _parameters(getattr(compiled, name)) == _parameters(getattr(pure, name))


@pytest.mark.parametrize(
    ("cls", "methods"),
    [
        ("ClaimsCache", ["get", "put", "discard", "drop_entries", "clear", "info"]),
        ("VerifierCore", ["verify", "clear_header_cache"]),
    ],
)
def test_same_methods(cls: str, methods: list[str]) -> None:
    compiled_cls, pure_cls = getattr(compiled, cls), getattr(pure, cls)
    public = {name for name in dir(pure_cls) if not name.startswith("_")} - {"maxsize", "hits", "misses"}
    assert public == set(methods)
    assert public <= {name for name in dir(compiled_cls) if not name.startswith("_")}
    for method in methods:
        assert _parameters(getattr(compiled_cls, method)) == _parameters(getattr(pure_cls, method)), method


def _embedded_parameter_names(cls: type) -> list[str]:
    # A cdef class has no inspectable __init__; Cython embeds "Name(params)" in its docstring.
    match = re.match(rf"{cls.__name__}\((.*?)\)\n", cls.__doc__ or "")
    assert match is not None, cls
    return [part.strip().split("=")[0] for part in match.group(1).split(",") if part.strip() not in ("*", "")]


@pytest.mark.parametrize("cls", ["ClaimsCache", "VerifierCore"])
def test_same_constructor_parameters(cls: str) -> None:
    pure_names = [p.name for p in inspect.signature(getattr(pure, cls)).parameters.values()]
    assert _embedded_parameter_names(getattr(compiled, cls)) == pure_names


def _core_options() -> dict[str, Any]:
    return {
        "pools": {},
        "leeway": 0,
        "token_use": None,
        "clients": None,
        "groups": None,
        "scopes": None,
        "custom_check": None,
        "max_token_bytes": 100,
        "cache": None,
        "clock": lambda: NOW,
    }


@pytest.mark.parametrize("module", [compiled, pure], ids=["c", "py"])
def test_verifier_core_takes_keywords_only(module: ModuleType) -> None:
    options = _core_options()
    module.VerifierCore(**options)
    pools = options.pop("pools")
    with pytest.raises(TypeError):
        module.VerifierCore(pools, **options)
    with pytest.raises(TypeError):
        module.VerifierCore(**{**options, "pools": pools, "unknown": 1})


def test_same_cache_info_fields() -> None:
    assert compiled.CacheInfo._fields == pure.CacheInfo._fields
    assert compiled.ClaimsCache(3).info() == pure.ClaimsCache(3).info() == (0, 0, 0, 3)


SHARED = [
    "ALLOWED_ALGORITHMS",
    "B64URL_ALPHABET",
    "FORBIDDEN_HEADER_PARAMETERS",
    "HEADER_CACHE_SIZE",
    "MAX_HEADER_SEGMENT_CHARS",
    "NUMERIC_CLAIMS",
    "REQUIRED_CLAIMS",
    "STRING_CLAIMS",
    "TOKEN_USES",
    "CLAIM_AUD",
    "CLAIM_CLIENT_ID",
    "CLAIM_EXP",
    "CLAIM_GROUPS",
    "CLAIM_IAT",
    "CLAIM_ISS",
    "CLAIM_NBF",
    "CLAIM_SCOPE",
    "CLAIM_TOKEN_USE",
]


@pytest.mark.parametrize("module", [compiled, pure], ids=["c", "py"])
def test_twins_take_literals_from_constants(module: ModuleType) -> None:
    for name in SHARED:
        assert getattr(module, name) is getattr(_constants, name), name


@pytest.mark.parametrize("source", ["_verify.pyx", "_verify_py.py"])
def test_twins_hold_no_copies_of_the_literals(source: str) -> None:
    text = (ROOT / "fastcognito" / source).read_text()
    assert _constants.B64URL_ALPHABET not in text
    quoted = [f'"{value}"' for value in _constants.FORBIDDEN_HEADER_PARAMETERS]
    quoted += [f'"{getattr(_constants, name)}"' for name in SHARED if name.startswith("CLAIM_")]
    quoted += ['"RS256"']
    for literal in quoted:
        assert literal not in text, literal


# --- (b) differential corpus ------------------------------------------------------------------


def _outcome(func: Callable[..., Any], *args: Any) -> tuple[Any, ...]:
    try:
        result = func(*args)
    except Exception as err:  # noqa: BLE001 - the class is the outcome under comparison
        return (
            "raised",
            type(err),
            str(err),
            getattr(err, "claim", None),
            repr(getattr(err, "actual", None)),
            repr(getattr(err, "expected", None)),
        )
    if isinstance(result, Claims):
        shape = {name: type(value).__name__ for name, value in result.items()}
        accessors = (result.sub, result.username, result.groups, result.scopes, result.client_id)
        # The names in order too: the compiled parser may start a dict from the previous one's.
        return (
            "claims",
            list(result),
            result.to_dict(),
            shape,
            accessors,
            result.token_use,
            result.exp,
            result.issuer,
        )
    return ("value", type(result), result)


def _assert_same(func_name: str, inputs: list[Any]) -> None:
    compiled_func, pure_func = getattr(compiled, func_name), getattr(pure, func_name)
    for value in inputs:
        expected = _outcome(pure_func, value)
        assert _outcome(compiled_func, value) == expected, (func_name, value)


def _segments(rng: random.Random) -> Iterator[str]:
    for size in range(0, 19):
        data = bytes(rng.randrange(256) for _ in range(size))
        valid = b64url(data)
        yield valid
        yield valid + "="
        yield valid + "=="
        yield valid[:-1]
        yield "=" + valid
        for position in range(len(valid)):
            for char in ALPHABET + "".join(FOREIGN):
                yield valid[:position] + char + valid[position + 1 :]
    # Past 32 characters the compiled twin decodes 32 at a time (AVX2): a foreign character,
    # or an ASCII neighbour of each range of the alphabet, at every place of such blocks.
    neighbours = ["@", "[", "`", "{", "/", ":", ",", ".", "^", "\x7f", "\x00", "\x1f"]
    for size in (24, 25, 26, 47, 48, 49, 71, 100):
        valid = b64url(bytes(rng.randrange(256) for _ in range(size)))
        yield valid
        for position in range(len(valid)):
            for char in rng.sample(FOREIGN, 3) + neighbours:
                yield valid[:position] + char + valid[position + 1 :]
    for _ in range(3000):
        length = rng.randrange(0, 40) if rng.random() < 0.8 else rng.randrange(32, 200)
        pool = ALPHABET if rng.random() < 0.6 else ALPHABET + "".join(FOREIGN)
        yield "".join(rng.choice(pool) for _ in range(length))
    yield "A" * 100_001
    yield b64url(bytes(range(256)) * 40)


@pytest.mark.parametrize("vector", [True, False], ids=["avx2-if-present", "scalar"])
def test_b64url_decode_same_outcome(vector: bool) -> None:
    inputs = list(_segments(random.Random(4648)))
    assert len(inputs) > 20_000
    previous = compiled._use_avx2(vector)
    try:
        _assert_same("b64url_decode", inputs)
        _assert_same("b64url_decode", [b"QUJD", bytearray(b"QQ"), None, 3])
    finally:
        compiled._use_avx2(previous)


def _header_texts(rng: random.Random) -> Iterator[bytes]:
    good = {"kid": KID, "alg": "RS256"}
    yield json.dumps(good).encode()
    for alg in ["RS256", "none", "HS256", "RS512", "ES256", "rs256", "", None, 1, True, ["RS256"], "RS256 "]:
        yield json.dumps({**good, "alg": alg}).encode()
    for kid in [KID, "", None, 1, ["x"], {}, "x" * 200]:
        yield json.dumps({**good, "kid": kid}).encode()
    for name in _constants.FORBIDDEN_HEADER_PARAMETERS:
        yield json.dumps({**good, name: "https://example.invalid"}).encode()
    yield b'{"kid":"a","alg":"RS256","kid":"b"}'
    yield b'{"kid":"a","alg":"RS256","alg":"RS256"}'
    yield b'{"alg":"RS256"}'
    yield b'{"kid":"a"}'
    for text in [b"[]", b"null", b'"RS256"', b"{}", b"{", b"", b" {} ", b'{"kid":NaN,"alg":"RS256"}']:
        yield text
    yield '{"kid":"ké","alg":"RS256"}'.encode()
    yield '{"kid":"k","alg":"RS256"}'.encode("utf-16")
    yield b"\xef\xbb\xbf" + json.dumps(good).encode()
    yield b'{"kid":"\xff","alg":"RS256"}'
    yield json.dumps({**good, "pad": "x" * 800}).encode()
    compact = json.dumps(good, separators=(",", ":")).encode()
    for _ in range(400):
        position = rng.randrange(len(compact))
        yield compact[:position] + bytes([rng.randrange(256)]) + compact[position + 1 :]


def test_decode_header_same_outcome() -> None:
    texts = list(_header_texts(random.Random(7515)))
    segments = [b64url(text) for text in texts]
    segments += [segment + "=" for segment in segments[:20]] + ["", "e30", "e30=", "!!!!"]
    _assert_same("decode_header", segments)


def _raw(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _object(members: list[tuple[str, str]], *, separators: tuple[str, str] = (",", ":")) -> str:
    comma, colon = separators
    return "{" + comma.join(f"{json.dumps(name)}{colon}{raw}" for name, raw in members) + "}"


# Raw JSON texts for claim values, valid and not: the fast parser's edges and the json module's.
VALUES = [
    "null", "true", "false", "0", "-0", "00", "01", "-", "-1", "1.0", "1.5", "1e5", "1E+5", "1.",
    ".5", "NaN", "Infinity", "-Infinity", "123456789012345678", "1234567890123456789",
    "-123456789012345678", str(10**30), str(10**400), "1e400", '""', '"x"', '"a\\"b"', '"\\u00e9"',
    '"é"', '"\x01"', '"\x7f"', '"tab\tx"', "[]", "[1]", '["a","b"]', '["a",1]', "[[1]]",
    '[{"a":1}]', "{}", '{"a":1}', "[1,]", "[,1]", "[1 ]", '["a" ,"b"]', "tru", "nul", "[true,false,null]",
]


def _payload_texts(rng: random.Random) -> Iterator[bytes]:
    base = access_claims(now=NOW)
    members = [(name, json.dumps(value)) for name, value in base.items()]
    compact = _object(members)
    yield compact.encode()
    yield json.dumps(base).encode()
    yield json.dumps(base, indent=2).encode()
    yield (" " + compact).encode()
    yield (compact + " ").encode()
    yield (compact + "\n").encode()
    yield (compact + "x").encode()
    yield (compact + "}").encode()
    yield _object(members, separators=(", ", ": ")).encode()
    yield _object(members, separators=(",", " :")).encode()
    for name in base:
        yield _object([m for m in members if m[0] != name]).encode()
        for raw in VALUES:
            yield _object([(n, raw if n == name else r) for n, r in members]).encode()
    for name in ["exp", "iss", "token_use", "cognito:groups"]:
        yield _object(members + [(name, json.dumps(0))]).encode()
        yield _object([(name, json.dumps("first"))] + members).encode()
    yield _object(members + [("aud", '"x"'), ("nbf", str(NOW + 10))]).encode()
    yield _object(members + [("nbf", str(NOW - 10)), ("extra", '{"deep":[1,{"x":null}]}')]).encode()
    yield json.dumps({**base, "username": "ålice 日本 😀"}, ensure_ascii=False).encode()
    yield json.dumps({**base, "username": "ålice 日本 😀"}).encode()
    yield json.dumps(id_claims(now=NOW)).encode()
    yield json.dumps(id_claims(now=NOW, aud=[CLIENT_ID, "other"])).encode()
    yield json.dumps(id_claims(now=NOW, aud=["other"])).encode()
    for text in ["[]", "null", "1", '"x"', "{}", "", "{", '{"exp":1}']:
        yield text.encode()
    # Arrays no check reads stay JSON text in the compiled twin until read: they must be
    # accepted and rejected exactly as when they are decoded at once.
    for raw in VALUES:
        yield _object(members + [("custom:roles", raw)]).encode()
    groups = [f"dept-{number:03d}-rw" for number in range(200)]
    for many in [
        groups,
        groups + ["admins"],
        [*groups[:150], 7, *groups[150:]],
        [*groups, None],
        [*groups[:99], ["admins"]],
        [*groups[:50], "caf\u00e9"],
        [*groups[:50], 'a"b'],
        [*groups[:50], "x" * 40],
    ]:
        yield json.dumps({**base, "cognito:groups": many}, separators=(",", ":")).encode()
        yield json.dumps({**base, "custom:roles": many}, separators=(",", ":")).encode()
    yield compact.encode("utf-16")
    yield b"\xef\xbb\xbf" + compact.encode()
    yield compact.replace('"alice"', '"al\xffice"').encode("latin-1")
    for position in range(1, len(compact), 23):
        yield compact[:position].encode()
    structural = '"{}[],:0123456789-.eE tnfu\\x'
    for _ in range(500):
        position = rng.randrange(len(compact))
        yield (compact[:position] + rng.choice(structural) + compact[position + 1 :]).encode()


def _verifiers(jwks: dict[str, Any]) -> list[tuple[CognitoVerifier, CognitoVerifier]]:
    configs: list[dict[str, Any]] = [
        {"client_id": CLIENT_ID, "token_use": "access", "cache_size": 0},
        {"client_id": None, "token_use": None, "groups": ["admins"], "scopes": "openid", "leeway": 5},
        {"client_id": [CLIENT_ID], "token_use": "id", "cache_size": 4, "max_token_bytes": 1500},
    ]
    return [
        tuple(  # type: ignore[misc]
            CognitoVerifier(POOL_ID, jwks=jwks, clock=lambda: NOW, _impl_module=module, **config)
            for module in (compiled, pure)
        )
        for config in configs
    ]


def _assert_same_verify(pairs: list[tuple[CognitoVerifier, CognitoVerifier]], tokens: list[Any]) -> None:
    for c_verifier, py_verifier in pairs:
        for token in tokens:
            expected = _outcome(py_verifier.verify, token)
            assert _outcome(c_verifier.verify, token) == expected, token
            # Again: a cache hit (or a second miss) answers exactly as the first call.
            assert _outcome(c_verifier.verify, token) == _outcome(py_verifier.verify, token), token
        assert c_verifier.cache_info() == py_verifier.cache_info()


@pytest.fixture(scope="module")
def signed_payloads(rsa_key: Any) -> list[str]:
    header = {"kid": KID, "alg": "RS256"}
    texts = list(dict.fromkeys(_payload_texts(random.Random(7519))))
    assert len(texts) > 1000
    return [sign_token(header, text, rsa_key) for text in texts]


def test_verify_same_outcome_on_payloads(signed_payloads: list[str], jwks_document: dict[str, Any]) -> None:
    _assert_same_verify(_verifiers(jwks_document), signed_payloads)


def _array_texts(rng: random.Random) -> Iterator[str]:
    """Arrays of strings, well formed or broken in one place, whose bytes fall on every offset of
    the compiled twin's 64-byte blocks (it reads arrays no check needs block by block)."""
    plain = "abcdefghij-_:.,[]{} 0123456789"
    odd = ['"', "\\", "\x00", "\x1f", "\x7f", "é", "\t"]
    for _ in range(400):
        count = rng.randrange(1, 12)
        items = ["".join(rng.choice(plain) for _ in range(rng.randrange(0, 40))) for _ in range(count)]
        text = "[" + ",".join(json.dumps(item) for item in items) + "]"
        yield text
        position = rng.randrange(1, len(text))
        mutation = rng.randrange(6)
        if mutation == 0:
            yield text[:position] + rng.choice(odd) + text[position:]
        elif mutation == 1:
            yield text[:position] + rng.choice([",", '"', "]", ",,", '""', " "]) + text[position:]
        elif mutation == 2:
            yield text[:position] + text[position + 1 :]
        elif mutation == 3:
            yield text[:-1] + rng.choice(["", ",", ',"x"', '"]', ",]", " ]"])
        elif mutation == 4:
            yield text[:position] + rng.choice(["1,", "null,", "true,", '["x"],', "{},"]) + text[position:]
        else:
            yield "[" + ",".join(json.dumps(item, ensure_ascii=False) for item in items + ["caf\u00e9"]) + "]"


@pytest.mark.parametrize("vector", [True, False], ids=["avx2-if-present", "sse2-or-scalar"])
def test_verify_same_outcome_on_long_arrays(
    rsa_key: Any, jwks_document: dict[str, Any], vector: bool
) -> None:
    rng = random.Random(20)
    base = access_claims(now=NOW)
    members = [(name, json.dumps(value)) for name, value in base.items()]
    tokens = []
    for text in dict.fromkeys(_array_texts(rng)):
        pad = [("custom:pad", json.dumps("p" * rng.randrange(0, 64)))]
        for name in ["cognito:groups", "custom:roles"]:
            payload = _object(pad + [(n, r) for n, r in members if n != name])
            text_bytes = (payload[:-1] + f',"{name}":{text}}}').encode()
            tokens.append(sign_token({"kid": KID, "alg": "RS256"}, text_bytes, rsa_key))
    previous = compiled._use_avx2(vector)
    try:
        _assert_same_verify(_verifiers(jwks_document)[:2], tokens)
    finally:
        compiled._use_avx2(previous)


def test_verify_same_outcome_when_the_names_change(rsa_key: Any, jwks_document: dict[str, Any]) -> None:
    # Payloads one after the other whose names come in the same order, then one fewer, one more,
    # reordered, repeated, renamed: each gets the names, the order and the values of its own.
    base = access_claims(now=NOW)
    names = list(base)
    variants: list[list[tuple[str, Any]]] = [
        list(base.items()),
        list(base.items()),
        [(name, base[name]) for name in names[:-1]],
        list(base.items()) + [("custom:extra", "x")],
        [(name, base[name]) for name in reversed(names)],
        list(base.items()) + [("sub", "again")],
        [("sub", "first")] + list(base.items()),
        [(name if name != "jti" else "jtj", base[name]) for name in names],
        list(base.items()),
        [(name, base[name]) for name in names[:3]],
        list(base.items()),
    ]
    tokens = []
    for members in variants * 2:
        text = _object([(name, json.dumps(value)) for name, value in members])
        tokens.append(sign_token({"kid": KID, "alg": "RS256"}, text.encode(), rsa_key))
    _assert_same_verify(_verifiers(jwks_document)[:2], tokens)


def test_verify_same_outcome_on_headers(rsa_key: Any, jwks_document: dict[str, Any]) -> None:
    payload = access_claims(now=NOW)
    texts = list(dict.fromkeys(_header_texts(random.Random(7515))))
    signed = [sign_token(text, payload, rsa_key) for text in texts]
    signed.append(sign_token({"kid": "unknown", "alg": "RS256"}, payload, rsa_key))
    _assert_same_verify(_verifiers(jwks_document), signed)


def _token_mutations(token: str, rng: random.Random) -> Iterator[Any]:
    yield token
    yield token.encode()
    yield bytearray(token.encode())
    yield token.encode("utf-16")
    for value in [None, 1, b"", "", ".", "..", "...", "a.b", "a.b.c.d", token + ".", "." + token]:
        yield value
    header, payload, signature = token.split(".")
    for parts in [
        (header + "=", payload, signature),
        (header, payload + "=", signature),
        (header, payload, signature + "="),
        (header, payload, signature + "=="),
        (header, "", signature),
        (header, payload[:-1], signature),
        (header, payload, signature[:-1]),
        (header, payload, signature[:-2]),
        (header, payload, signature + "A"),
        (header, payload, signature + "AA"),
        (header + "A", payload, signature),
    ]:
        yield ".".join(parts)
    for position in range(len(token)):
        for char in rng.sample(ALPHABET, 3) + rng.sample(FOREIGN, 2):
            if token[position] != char:
                yield token[:position] + char + token[position + 1 :]
    for cut in range(0, len(token), 17):
        yield token[:cut]
    yield token + "A" * 8000
    for _ in range(300):
        yield "".join(rng.choice(ALPHABET + "." + "".join(FOREIGN)) for _ in range(rng.randrange(1, 200)))


def test_verify_same_outcome_on_token_mutations(rsa_key: Any, jwks_document: dict[str, Any]) -> None:
    rng = random.Random(8725)
    token = sign_token({"kid": KID, "alg": "RS256"}, access_claims(now=NOW), rsa_key)
    inputs = list(_token_mutations(token, rng))
    assert len(inputs) > 5000
    # One verifier pair is enough here: these inputs fail before the claim checks or not at all.
    _assert_same_verify(_verifiers(jwks_document)[:1], inputs)


def test_parity_covers_every_outcome(signed_payloads: list[str], jwks_document: dict[str, Any]) -> None:
    """The corpus reaches acceptance and each class of rejection (else parity proves little)."""
    seen = set()
    for c_verifier, _ in _verifiers(jwks_document):
        for token in signed_payloads:
            outcome = _outcome(c_verifier.verify, token)
            seen.add(outcome[0] if outcome[0] == "claims" else outcome[1].__name__)
    assert {"claims", "MalformedTokenError", "ExpiredTokenError", "NotYetValidError"} <= seen
    assert {"InvalidTokenUseError", "InvalidClientError", "MissingGroupError"} <= seen
    assert "InvalidIssuerError" in seen, ISSUER


# --- (c) edges of the pure twin's fast paths ------------------------------------------------------
# The pure twin decodes both base64url segments in one go and proves the claims' types in one pass,
# falling back to the step-by-step checks on any fault. The fallbacks must report what the steps
# report: the payload's fault before the signature's, and the first bad claim by name.


def _segment_faults(segment: str) -> dict[str, str]:
    """``segment`` with each kind of base64url fault, by name; "good" is ``segment`` itself."""
    middle = len(segment) // 2
    faults = {
        "good": segment,
        "length": segment + "A" * ((1 - len(segment)) % 4 or 4),
        "foreign": segment[:middle] + "*" + segment[middle + 1 :],
        "standard": segment[:middle] + "+" + segment[middle + 1 :],
        "padding": segment + "=" * (-len(segment) % 4 or 1),
    }
    remainder = len(segment) % 4
    if remainder in (2, 3):
        unused = 0x0F if remainder == 2 else 0x03
        last = ALPHABET.index(segment[-1]) | unused
        faults["trailing"] = segment[:-1] + ALPHABET[last]
    return faults


def test_verify_reports_the_payloads_fault_before_the_signatures(
    rsa_key: Any, jwks_document: dict[str, Any]
) -> None:
    # A payload whose encoding leaves unused bits (length % 3 != 0), so every fault applies.
    claims = access_claims(now=NOW)
    token = ""
    for filler in range(3):
        token = sign_token({"kid": KID, "alg": "RS256"}, {**claims, "pad": "x" * filler}, rsa_key)
        if len(token.split(".")[1]) % 4 in (2, 3):
            break
    header, payload, signature = token.split(".")
    payload_faults, signature_faults = _segment_faults(payload), _segment_faults(signature)
    assert "trailing" in payload_faults and "trailing" in signature_faults
    pairs = _verifiers(jwks_document)[:1]
    alone = {}
    for name, bad in payload_faults.items():
        alone[name] = _outcome(pairs[0][1].verify, f"{header}.{bad}.{signature}")
    assert alone["good"][0] == "claims"
    tokens = []
    for payload_fault, bad_payload in payload_faults.items():
        for signature_fault, bad_signature in signature_faults.items():
            candidate = f"{header}.{bad_payload}.{bad_signature}"
            tokens.append(candidate)
            outcome = _outcome(pairs[0][1].verify, candidate)
            if payload_fault != "good":
                assert outcome == alone[payload_fault], (payload_fault, signature_fault)
            elif signature_fault != "good":
                assert outcome[:2] == ("raised", pure.MalformedTokenError), signature_fault
    _assert_same_verify(pairs, tokens)


_BOUNDARY_INTS = [2**53, 2**53 + 1, -(2**53), -(2**53) - 1, 10**308, 10**309, -(10**309)]


def test_verify_same_outcome_at_the_edges_of_the_claim_type_fast_path(
    rsa_key: Any, jwks_document: dict[str, Any]
) -> None:
    base = access_claims(now=NOW)
    payloads: list[dict[str, Any]] = []
    for name in ["exp", "iat", "nbf", "auth_time"]:
        for value in _BOUNDARY_INTS:
            payloads.append({**base, name: value})
    for groups in [[], ["a"], None, [None], "admins", {"a": 1}]:
        payloads.append({**base, "cognito:groups": groups})
    payloads.append({name: value for name, value in base.items() if name != "cognito:groups"})
    for aud in [None, "", CLIENT_ID, [], [CLIENT_ID], [1], {"a": 1}, 1]:
        payloads.append({**base, "aud": aud})
        payloads.append({**id_claims(now=NOW), "aud": aud})
    for name in ["sub", "username", "cognito:username", "jti", "scope"]:
        for value in ["", None, 1, True, []]:
            payloads.append({**base, name: value})
    # Two bad claims: the first in the checks' order is the one named.
    payloads.append({**base, "auth_time": "x", "sub": 1, "cognito:groups": None})
    payloads.append({**base, "sub": 1, "aud": 1})
    tokens = [sign_token({"kid": KID, "alg": "RS256"}, payload, rsa_key) for payload in payloads]
    _assert_same_verify(_verifiers(jwks_document), tokens)
    outcome = _outcome(_verifiers(jwks_document)[0][1].verify, tokens[-2])
    assert outcome[2] == "the claim 'auth_time' is not a finite number"
