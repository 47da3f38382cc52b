"""The hostile-request corpus: ``Authorization`` headers and ``Cookie`` headers no class of ours may
answer with a 500, each named; ``T`` in one stands for a valid token, put in by the test.

tests/django/test_tokens_hostile_requests.py sends each through every class; the step-parity test
(tests/django/test_steps.py) demands the same answers from the inline path and the steps.
"""

from __future__ import annotations

T = "{token}"

HOSTILE_HEADERS: dict[str, str] = {
    "huge token": "Bearer " + "A" * 1_000_000,
    "huge valid-looking token": "Bearer " + "eyJhbGciOiJSUzI1NiJ9." * 50_000 + "x",
    "huge whitespace": "Bearer " + " " * 1_000_000,
    "huge words": "Bearer " + "a " * 500_000,
    "huge scheme": "B" * 1_000_000 + " token",
    "many headers joined": ", ".join([f"Bearer {T}"] * 200),
    "many schemes joined": f"Basic YWxpY2U6c2VjcmV0, Bearer {T}, Negotiate YII=",
    "latin-1": "Bearer \xff\xfe\xfd.\xe9\xe8.\xe0",
    "non-ASCII scheme": f"Bëarer {T}",
    "unicode token": "Bearer 令牌.令牌.令牌",
    "lone surrogate": "Bearer \ud800.\udfff.x",
    "emoji": "Bearer 🔑.🔑.🔑",
    "CR LF injection": f"Bearer {T}\r\nSet-Cookie: admin=1",
    "LF in scheme": f"Bear\ner {T}",
    "NUL everywhere": "\x00Bearer\x00 \x00" + T + "\x00",
    "NUL token": "Bearer \x00\x00\x00",
    "control characters": "Bearer " + "".join(chr(code) for code in range(32)),
    "DEL and C1": "Bearer \x7f\x80\x9f",
    "only dots": "Bearer ..",
    "empty segments": "Bearer ...",
    "too many segments": "Bearer a.b.c.d.e",
    "padding": "Bearer eyJhbGciOiJSUzI1NiJ9==.e30=.AA==",
    "json bomb header": "Bearer " + "W" * 4000 + ".e30.AA",
    "alg none": "Bearer eyJhbGciOiJub25lIn0.e30.",
    "scheme only with tab": "Bearer\t",
    "colon scheme": f"Bearer: {T}",
    "equals scheme": f"Bearer={T}",
    "quoted token": f'Bearer "{T}"',
    "odd scheme Digest": 'Digest username="alice", realm="api", nonce="x"',
    "odd scheme AWS4": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/eu-west-1/execute-api/aws4_request",
    "odd scheme empty": " ",
    "token with signature stripped": f"Bearer {T}".rsplit(".", 1)[0] + ".",
    "token twice glued": f"Bearer {T}{T}",
    "percent-encoded": "Bearer %65%79%4a.%65.%41",
}

HOSTILE_COOKIES: dict[str, str] = {
    "garbage": "\x00\xff;;;==;=;accessToken;accessToken==;a=b=c",
    "empty value": "accessToken=",
    "quoted": 'accessToken="a.b.c"',
    "quoted escapes": 'accessToken="\\012\\"\\\\"',
    "many values": "; ".join(f"accessToken=v{index}" for index in range(2000)),
    "huge value": "accessToken=" + "A" * 1_000_000,
    "huge cookie header": "; ".join(f"c{index}={'x' * 100}" for index in range(10_000)),
    "non-ASCII value": "accessToken=令牌.令牌.令牌",
    "latin-1 value": "accessToken=\xff\xfe.\xe9.\xe0",
    "CR LF": "accessToken=a\r\nSet-Cookie: admin=1",
    "NUL": "accessToken=\x00\x00",
    "lone surrogate": "accessToken=\ud800",
    "valid token, then junk": f"accessToken={T}; \x00=\x00",
    "valid token with spaces": f"accessToken= {T} ",
    "semicolon in token": f"accessToken={T};x",
}


def as_sent(value: str) -> str:
    """``value`` as a server hands it over: its UTF-8 bytes (lone surrogates included) read as
    latin-1, which is what WSGI's native strings and ASGI's header bytes give Django."""
    return value.encode("utf-8", "surrogatepass").decode("latin-1")
