"""The pure twin's floor, shared by `make bench` (conftest.RawVerify) and `make
bench-instructions` (icases_core): the steps of a pure-Python verify that no check can remove.

One token: split at its two dots, strict base64url of the payload and the signature, the RSA
check as fastcognito makes it, the payload's JSON parsed, with the pure twin's own decoders (strict
``a2b_base64``, the json scanner) and nothing else. No header, alphabet, trailing bit, depth,
type, time, issuer or client is checked, so whatever a pure-Python verify that checks them costs,
it costs more than this; the difference is what its checks cost.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import sha256
from typing import Any

from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

from fastcognito._constants import SHA256_DIGEST_INFO
from fastcognito._verify_py import _B64_PADDING as B64_PADDING
from fastcognito._verify_py import _PAYLOAD_SCAN as scan_json
from fastcognito._verify_py import _a2b_strict as a2b_strict

__all__ = ["PURE_FLOOR", "pure_floor"]

PURE_FLOOR = "pure-Python floor (base64url, the RSA check, JSON parsed; nothing checked)"


def pure_floor(key: Any) -> Callable[[str], None]:
    """The floor's work on one token signed by ``key``; raises ``AssertionError`` when the
    token's signature does not verify or its payload is not a JSON object."""
    recover, padding = key.recover_data_from_signature, PKCS1v15()
    length = (key.key_size + 7) >> 3

    def one_token(token: str) -> None:
        first = token.find(".")
        second = token.find(".", first + 1)
        text = token.encode("ascii")
        standard = text.replace(b"-", b"+").replace(b"_", b"/")
        payload_padding = B64_PADDING[(second - first - 1) & 3]
        signature_padding = B64_PADDING[(len(text) - second - 1) & 3]
        payload = a2b_strict(standard[first + 1 : second] + payload_padding, strict_mode=True)
        signature = a2b_strict(standard[second + 1 :] + signature_padding, strict_mode=True)
        if len(signature) != length or recover(signature, padding, None) != SHA256_DIGEST_INFO + sha256(
            text[:second]
        ).digest():
            raise AssertionError("the benchmark's own signature does not verify")
        if type(scan_json(payload.decode("utf-8"), 0)[0]) is not dict:
            raise AssertionError("the benchmark's own payload is not a JSON object")

    return one_token
