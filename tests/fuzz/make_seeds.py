"""Writes the seed corpus (``corpus/seed-*``): one input per kind of token the harness builds.

Run it again after changing the input layout in ``differential.py``; the fuzzer's own finds go
to its output directory, not here. ``python tests/fuzz/make_seeds.py``
"""

from __future__ import annotations

import json
from pathlib import Path

from differential import (
    CLIENT,
    CORPUS,
    ISSUER,
    KID,
    MODE_HELPERS,
    MODE_MUTATED,
    MODE_RAW,
    MODE_SIGNED,
    MODE_SIGNED_PAYLOAD,
    MODE_STRUCTURED,
    MODE_UNSIGNED,
    NOW,
    OTHER_ISSUER,
    b64url,
)


def compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


ACCESS = {
    "sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
    "cognito:groups": ["admins", "editors"],
    "iss": ISSUER,
    "version": 2,
    "client_id": CLIENT,
    "origin_jti": "11111111-2222-4333-8444-555555555555",
    "token_use": "access",
    "scope": "aws.cognito.signin.user.admin openid",
    "auth_time": NOW,
    "exp": NOW + 3600,
    "iat": NOW,
    "jti": "abcdefab-cdef-4abc-8def-abcdefabcdef",
    "username": "alice",
}
ID = {
    "sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
    "cognito:groups": ["admins"],
    "email_verified": True,
    "iss": ISSUER,
    "cognito:username": "alice",
    "aud": CLIENT,
    "token_use": "id",
    "auth_time": NOW,
    "exp": NOW + 3600,
    "iat": NOW,
    "email": "alice@example.com",
}
BASE = compact(ACCESS)[:-1].decode()


def raw_payload(extra: str) -> bytes:
    return (BASE + extra + "}").encode()


PAYLOADS: dict[str, bytes] = {
    "access": compact(ACCESS),
    "id": compact(ID),
    "access-spaced": json.dumps(ACCESS).encode(),
    "other-issuer": compact({**ACCESS, "iss": OTHER_ISSUER}),
    "expired": compact({**ACCESS, "exp": NOW - 1}),
    "future-iat": compact({**ACCESS, "iat": NOW + 100}),
    "nbf": compact({**ACCESS, "nbf": NOW + 10}),
    "float-times": raw_payload(',"exp":1700003600.5,"iat":1.7e9'),
    "deny": compact({**ACCESS, "deny": True}),
    "escapes": raw_payload(',"x":"a\\"b\\u00e9\\ud83d\\ude00\\/"'),
    "non-ascii": raw_payload(',"x":"caf\u00e9 \u2603"'),
    "numbers-18-19-20": raw_payload(',"a":999999999999999999,"b":9999999999999999999,"c":-99999999999999999999'),
    "numbers-400": raw_payload(',"exp":1' + "0" * 400),
    "nan": raw_payload(',"x":NaN'),
    "infinity": raw_payload(',"exp":Infinity'),
    "duplicates": raw_payload(',"sub":"a","sub":"b","exp":1,"exp":1700003600'),
    "nested-64": raw_payload(',"deep":' + "[" * 63 + "]" * 63),
    "nested-65": raw_payload(',"deep":' + "[" * 64 + "]" * 64),
    "nested-objects": raw_payload(',"deep":' + '{"k":' * 64 + "1" + "}" * 64),
    "brackets-in-strings": raw_payload(',"s":"' + "[{" * 70 + '\\\\"' + "[" * 5 + '"'),
    "arrays-many": raw_payload("".join(f',"a{i}":[]' for i in range(80))),
    "mixed-array": raw_payload(',"y":[1,"a",true,false,null,[2],{"z":3}]'),
    "bom": "\ufeff".encode() + compact(ACCESS),
    "utf16": json.dumps(ACCESS).encode("utf-16-le"),
    "invalid-utf8": raw_payload(',"x":"\xff"').replace(b"\xc3\xbf", b"\xff"),
    "trailing-comma": raw_payload(","),
    "not-object": b"[1,2]",
    "empty-object": b"{}",
    "groups-null": compact({**ACCESS, "cognito:groups": None}),
    "aud-list": compact({**ID, "aud": [CLIENT, "x"]}),
    "scope-list": compact({**ACCESS, "scope": ["openid"]}),
    "exp-bool": compact({**ACCESS, "exp": True}),
    "exp-string": compact({**ACCESS, "exp": str(NOW + 3600)}),
}

HEADERS: dict[str, bytes] = {
    "alg-none": compact({"kid": KID, "alg": "none"}),
    "alg-hs256": compact({"kid": KID, "alg": "HS256"}),
    "alg-missing": compact({"kid": KID}),
    "kid-missing": compact({"alg": "RS256"}),
    "kid-number": compact({"kid": 1, "alg": "RS256"}),
    "kid-unknown": compact({"kid": "rotated", "alg": "RS256"}),
    "crit": compact({"kid": KID, "alg": "RS256", "crit": ["exp"]}),
    "jku": compact({"kid": KID, "alg": "RS256", "jku": "https://example.com"}),
    "duplicate": b'{"kid":"' + KID.encode() + b'","alg":"HS256","alg":"RS256"}',
    "deep": b'{"kid":"' + KID.encode() + b'","alg":"RS256","x":' + b"[" * 70 + b"]" * 70 + b"}",
    "typ": compact({"kid": KID, "alg": "RS256", "typ": "JWT"}),
}


def seeds() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for name, payload in PAYLOADS.items():
        out[f"signed-{name}"] = bytes([MODE_SIGNED_PAYLOAD, 0]) + payload
    out["signed-access-as-bytes"] = bytes([MODE_SIGNED_PAYLOAD, 1]) + PAYLOADS["access"]
    for name, header in HEADERS.items():
        out[f"header-{name}"] = bytes([MODE_SIGNED, 0]) + header + b"\x00" + PAYLOADS["access"]
    out["unsigned-access"] = bytes([MODE_UNSIGNED, 0]) + compact({"kid": KID, "alg": "RS256"}) + b"\x00" + PAYLOADS["access"]
    out["unsigned-other-issuer"] = (
        bytes([MODE_UNSIGNED, 0]) + compact({"kid": KID, "alg": "RS256"}) + b"\x00" + PAYLOADS["other-issuer"]
    )
    out["unsigned-huge-number"] = (
        bytes([MODE_UNSIGNED, 0]) + compact({"kid": KID, "alg": "RS256"}) + b"\x00" + PAYLOADS["numbers-18-19-20"]
    )
    out["mutated-one-char"] = bytes([MODE_MUTATED, 0]) + PAYLOADS["access"] + b"\x00" + b"\x00\x10\x41"
    out["mutated-padding"] = bytes([MODE_MUTATED, 0]) + PAYLOADS["access"] + b"\x00" + b"\x00\x30\x3e\x01\x00\x14"
    out["mutated-delete"] = bytes([MODE_MUTATED, 0]) + PAYLOADS["id"] + b"\x00" + b"\x00\x05\x02"
    for index, pattern in enumerate([b"", b"\x01" * 40, bytes(range(1, 60)), b"\xff\x07\x03\x02" * 12]):
        out[f"structured-{index}"] = bytes([MODE_STRUCTURED, 0]) + pattern
    out["raw-empty"] = bytes([MODE_RAW, 0])
    out["raw-dots"] = bytes([MODE_RAW, 0]) + b"a.b.c"
    out["raw-four-segments"] = bytes([MODE_RAW, 0]) + b"eyJ.eyJ.abc.def"
    out["raw-non-ascii"] = bytes([MODE_RAW, 0]) + "e\u00e9.b.c".encode("latin-1")
    out["raw-padded"] = bytes([MODE_RAW, 0]) + (b64url(b'{"a":1}') + "==.e30.abcd").encode()
    out["helpers-segment"] = bytes([MODE_HELPERS, 0]) + b64url(compact({"kid": KID, "alg": "RS256"})).encode()
    out["helpers-deep"] = bytes([MODE_HELPERS, 0]) + b'["\\\\"' + b"[" * 80
    out["helpers-trailing-bits"] = bytes([MODE_HELPERS, 0]) + b"QR"
    return out


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for old in CORPUS.glob("seed-*"):
        old.unlink()
    for name, data in seeds().items():
        (CORPUS / f"seed-{name}").write_bytes(data)
    print(f"{len(seeds())} seeds in {CORPUS}")


if __name__ == "__main__":
    main()
