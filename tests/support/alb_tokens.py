"""ALB tokens for the tests: ES256 tokens in the ALB's padded format, and their PEM keys."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188"
OTHER_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/other/0123456789abcdef"
CLIENT = "albclient0123456789abcdef"
ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool1"
ALB_KID = "8b2a5f3c-1d4e-4f60-9a7b-0c1d2e3f4a5b"


def b64(data: bytes, *, pad: bool = True) -> str:
    text = base64.urlsafe_b64encode(data).decode("ascii")
    return text if pad else text.rstrip("=")


def segment(part: dict[str, Any] | str, pad: bool) -> str:
    return part if isinstance(part, str) else b64(json.dumps(part).encode(), pad=pad)


def pem(key: Any) -> bytes:
    return key.public_key().public_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class AlbTokens:
    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self.key = key

    def header(self, **overrides: Any) -> dict[str, Any]:
        header = {
            "alg": "ES256",
            "kid": ALB_KID,
            "signer": ARN,
            "iss": ISSUER,
            "client": CLIENT,
            "exp": int(time.time()) + 120,
            "typ": "JWT",
        }
        header.update(overrides)
        return {name: value for name, value in header.items() if value is not None}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
            "email_verified": "true",
            "email": "alice@example.com",
            "username": "alice",
            "exp": int(time.time()) + 120,
            "iss": ISSUER,
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def token(
        self,
        header: dict[str, Any] | str | None = None,
        claims: dict[str, Any] | str | None = None,
        *,
        pad: bool = True,
        key: Any = None,
    ) -> str:
        signing_input = f"{segment(header or self.header(), pad)}.{segment(claims or self.claims(), pad)}"
        der = (key or self.key).sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'), pad=pad)}"
