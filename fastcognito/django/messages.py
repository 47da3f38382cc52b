"""Client-facing, translatable messages for each error ``code``, and the words of the sign-in pages.

The core's messages are for logs and developers; a client gets one of these, which name the
problem without echoing claims, settings or the token. ``responses.py`` builds every answer of the
Django layer from this table, and DRF's exceptions take their ``detail`` from it too.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = ["MESSAGES", "PAGE_TEXTS", "message_for"]

MESSAGES: dict[str, Promise] = {
    # --- tokens (401, 503) ------------------------------------------------------------------
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
    "invalid_nonce": _("The sign-in's id token does not belong to this sign-in."),
    # --- the sign-in views (fastcognito.oauth's SignInError codes) ---------------------------
    # Worded as they were before they were translatable: clients may have matched on them.
    "configuration": _("sign-in is not configured"),
    "sign_in_failed": _("the sign-in failed"),
    "invalid_request": _("the sign-in request is incomplete or malformed"),
    "invalid_redirect": _("the address to return to after sign-in is not allowed"),
    "not_signed_in": _("there is no sign-in to refresh"),
    "cognito_unavailable": _("Cognito cannot be reached right now"),
    "cognito_rejected": _("Cognito refused the request"),
    "access_denied": _("the sign-in was cancelled or refused"),
    "invalid_state": _("the sign-in attempt is unknown or has expired; start again"),
    "invalid_grant": _("the authorization code or refresh token was refused"),
    "invalid_credentials": _("incorrect username or password"),
    "challenge_required": _("this sign-in needs the managed login page"),
    "throttled": _("too many sign-in attempts; try again later"),
    "signin_unavailable": _("sign-in is unavailable right now; try again later"),
}

PAGE_TEXTS: dict[str, Promise] = {
    "signin_failed_title": _("Sign-in failed"),
    "signin_again": _("Sign in again"),
    "code": _("Code:"),
    "signed_out_title": _("Signed out"),
    "signed_out_unrecorded": _(
        "You are signed out, but the sign-out could not be recorded: "
        "your access token stays valid until it expires."
    ),
    "continue": _("Continue"),
}
"""The words of the small HTML pages the sign-in views answer a browser with."""


def message_for(code: str, fallback: str = "invalid_token") -> Promise:
    """The message of ``code``; the one of ``fallback`` for a code this table does not know (a
    subclass of a site's own)."""
    return MESSAGES.get(code) or MESSAGES[fallback]
