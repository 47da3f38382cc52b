"""``AlbAuthentication``: DRF authentication by the ``x-amzn-oidc-data`` header of an ALB.

The same steps and answers as ``CognitoAuthentication`` (401 with a reason code, 503 while the
ALB key server cannot be reached), with the token taken from the ALB's header and verified by
the ``AlbVerifier`` of ``FASTCOGNITO["ALB"]``.
"""

from __future__ import annotations

from rest_framework.request import Request

from ..claims import Claims
from ..django.alb import alb_token_from_request, alb_verifier
from ..django.tokens import RawToken
from .authentication import CognitoAuthentication

__all__ = ["AlbAuthentication"]


class AlbAuthentication(CognitoAuthentication):
    """Authenticates by ``x-amzn-oidc-data``; no header: ``None`` (anonymous, later
    authenticators still run). ``request.user`` is ``USER_CLASS(claims)``.

    Unsafe methods need a valid CSRF token, as with a cookie token: the ALB adds the header to
    every request that carries its session cookie, cross-site ones included."""

    def get_raw_token(self, request: Request) -> RawToken | None:
        return alb_token_from_request(request)

    def get_claims(self, raw_token: RawToken) -> Claims:
        return alb_verifier().verify(raw_token.value)
