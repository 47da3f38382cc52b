"""Client-facing, translatable messages for each error ``code``.

The core's messages are for logs and developers; a client gets one of these, which name the
problem without echoing claims, settings or the token.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = ["MESSAGES", "message_for"]

MESSAGES: dict[str, Promise] = {
    "not_authenticated": _("Authentication credentials were not provided."),
    "invalid_token": _("The token is not acceptable."),
    "malformed": _("The token is malformed."),
    "unsupported_alg": _("The token's algorithm is not allowed."),
    "unknown_kid": _("No signing key matches the token."),
    "invalid_signature": _("The token's signature is invalid."),
    "invalid_claim": _("A claim of the token is not acceptable."),
    "expired": _("The token has expired."),
    "not_yet_valid": _("The token is not valid yet."),
    "invalid_issuer": _("The token's issuer is not trusted."),
    "invalid_token_use": _("This kind of token is not accepted here."),
    "invalid_client": _("The token was issued to another client."),
    "missing_group": _("The user is in none of the required groups."),
    "missing_scope": _("The token has none of the required scopes."),
    "jwks_unavailable": _("The token cannot be verified right now; try again later."),
    "denylist_unavailable": _("The token cannot be checked right now; try again later."),
    "invalid_signer": _("The token was signed by a load balancer that is not trusted."),
    "user_refused": _("The token's user is not accepted here."),
    "revoked": _("The token has been revoked."),
    "machine_token_refused": _("Machine-to-machine tokens of this client are not accepted."),
}


def message_for(code: str) -> Promise:
    """The message of ``code``; the generic one for a code this table does not know."""
    return MESSAGES.get(code, MESSAGES["invalid_token"])
