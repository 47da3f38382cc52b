"""The steps from a request to its principal, written once for ``CognitoMiddleware`` and for
``fastcognito.drf.CognitoAuthentication``.

``TokenSteps`` defines each step a subclass may override, in the order they run:

1. ``get_header(request)``: the ``Authorization`` header, or ``None``;
2. ``get_raw_token(request)``: the token of that header when its type is one of ours, else the
   ``COOKIE_NAME`` cookie's, else ``None`` (anonymous);
3. ``get_verifier()`` and ``get_claims(raw_token)``: the verified ``Claims``;
4. ``get_user(claims)``: ``USER_CLASS(claims)``, or a ``CognitoClient`` for a machine token;
5. ``attach_attributes(user, request)``: a hook with Djognito's name and signature.

Each default step is one call of a function of ``tokens.py``, the verifier or ``client.py``. A
class that keeps every step as defined here (``CognitoMiddleware``, ``CognitoAuthentication`` and
any subclass that overrides none) runs those same functions inline instead of through six method
calls per request: ``uses_default_steps()`` tells which, decided once per class.
``tests/django/test_steps.py`` runs hostile requests through both ways and demands the same
answers.

When both run on one request (the documented sign-in set-up), ``CognitoMiddleware`` leaves a
``SharedToken`` on the request: the token it found and, once either layer has verified it, the
claims and the principal. ``CognitoAuthentication`` takes them instead of parsing and verifying
again, but only for the very credential it would read itself.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..claims import Claims
from ..verifier import CognitoVerifier
from .client import principal_for
from .conf import FastCognitoSettings, fastcognito_settings
from .tokens import (
    RawToken,
    RequestPolicy,
    TokenSource,
    cookie_token,
    find_token,
    get_authorization_header,
    request_policy,
)

__all__ = ["STEPS", "SharedToken", "TokenSteps"]

STEPS = ("get_header", "get_raw_token", "get_verifier", "get_claims", "get_user", "attach_attributes")
"""The overridable steps, in the order they run."""


class TokenSteps:
    """The overridable steps of token authentication (see the module)."""

    settings: FastCognitoSettings = fastcognito_settings
    # Whether this class keeps every step as defined here: its requests then run them inline.
    _default_steps: ClassVar[bool] = True
    # Whether get_raw_token is ours, so that a TokenError it raises comes from the Authorization
    # header; a subclass's own source may be ambient, and its errors earn no CSRF exemption.
    _reads_authorization: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._default_steps = all(getattr(cls, step) is getattr(TokenSteps, step) for step in STEPS)
        cls._reads_authorization = cls.get_raw_token is TokenSteps.get_raw_token

    @classmethod
    def uses_default_steps(cls) -> bool:
        """Whether requests run the default steps inline (no step is overridden)."""
        return cls._default_steps

    def get_header(self, request: Any) -> str | None:
        """The ``Authorization`` header, or ``None``. A token found in the header this step
        returns is exempt from CSRF checks: override it only with a header that a browser cannot
        send cross-site on its own."""
        return get_authorization_header(request)

    def get_raw_token(self, request: Any) -> RawToken | None:
        """The token from the header (one of our types), else from the cookie, else ``None``.

        Raises ``MalformedTokenError`` for a header of our type without a well-formed token.
        """
        return find_token(request, request_policy(self.settings), self.get_header(request))

    def get_verifier(self) -> CognitoVerifier:
        """The verifier of the settings, built once per settings change."""
        return self.settings.verifier

    def get_claims(self, raw_token: RawToken) -> Claims:
        """Verify the token; raises ``TokenError`` (401) or ``JWKSError`` (503)."""
        return self.get_verifier().verify(raw_token.value)

    def get_user(self, claims: Claims) -> Any:
        """``USER_CLASS(claims)`` (``CognitoUser`` by default, no database query), or a
        ``CognitoClient`` for a machine-to-machine token. May raise ``TokenError`` (the replica's
        ``UserRefusedError``)."""
        return principal_for(claims, self.settings.USER_CLASS)

    def attach_attributes(self, user: Any, request: Any) -> None:
        """Hook with Djognito's name and signature: add attributes or permissions to ``user``."""


class SharedToken:
    """What ``CognitoMiddleware`` found on one request (``request._fastcognito_token``), and what
    either layer made of it: the ``token`` and its ``source`` (``"header"`` or ``"cookie"``), the
    ``Authorization`` header and the ``RequestPolicy`` it was found with, then the verified
    ``claims`` and the ``user`` (``None`` until set).

    Only classes that keep every step as defined in ``TokenSteps`` write or read it, so the token
    is what the default steps find and the principal what ``get_user`` builds; a subclass that
    overrides a step runs its own steps. ``CognitoAuthentication`` takes it only for the very
    credential it would read itself: the same policy object (the same settings, not reloaded
    since), the very ``Authorization`` string (so the same header token, or no header token of
    ours), and for a cookie token the cookie holding the same value still (``same_cookie``).
    ``claims`` and ``user`` are set only when verification (and, for the user, ``USER_CLASS``)
    accepted the token: a rejection is never shared, the next layer verifies again and gets its
    own answer. The claims come from ``verify()``, which ran the denylist and ``claims_check`` for
    this request; the CSRF check stays the reader's, by ``source``.
    """

    # Built per request by CognitoMiddleware, which sets every slot.
    __slots__ = ("claims", "header", "policy", "source", "token", "user")

    token: str
    source: TokenSource
    header: str | None
    policy: RequestPolicy | None
    claims: Claims | None
    user: Any

    def same_cookie(self, django_request: Any) -> bool:
        """Whether this is a cookie token that the policy's cookie of ``django_request`` still holds."""
        policy = self.policy
        return (
            self.source == "cookie"
            and policy is not None
            and cookie_token(django_request, policy) == self.token
        )
