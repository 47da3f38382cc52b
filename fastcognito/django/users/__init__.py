"""``fastcognito.django.users``: an opt-in replica of Cognito users in Django's user table.

Turned on by adding ``"fastcognito.django.users"`` to ``INSTALLED_APPS`` (and migrating). Then:

* ``FASTCOGNITO["USER_CLASS"] = "fastcognito.django.users.replica_user"`` makes the DRF class and
  the middleware give ``request.user`` as the local user (``AUTH_USER_MODEL``) of the token's
  issuer and ``sub``, kept in step with the token, instead of the stateless ``CognitoUser``;
* ``FASTCOGNITO["REPLICA"]`` (see ``config.REPLICA_DEFAULTS`` and docs/replica.md) sets e-mail
  matching, the field mapping hook, the session login after sign-in and the token exchange;
* ``middleware.SessionRefreshMiddleware`` ends a session login when its Cognito sign-in ends.

Nothing here is imported by ``fastcognito.django`` itself: the models load only when the app is
installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...claims import Claims
from ...exceptions import UserRefusedError
from ..user import user_factory

if TYPE_CHECKING:
    from ...oauth import SignedIn

__all__ = ["UserRefusedError", "replica_user", "session_login", "sync_user"]


def sync_user(claims: Claims, *, using: str | None = None) -> Any:
    """The local user of a verified token's claims, created or updated (see ``sync.sync_user``)."""
    from .sync import sync_user as sync

    return sync(claims, using=using)


@user_factory
def replica_user(claims: Claims) -> Any:
    """A ``USER_CLASS``: the replica user of the token's issuer and ``sub``.

    Tokens without a user (machine-to-machine access tokens) keep the stateless principal.
    Raises ``UserRefusedError`` (a 401 with code ``user_refused``) when the user is refused.
    """
    if not claims.username:
        from ..user import CognitoUser

        return CognitoUser(claims)
    from .sync import sync_user as sync

    return sync(claims)


def session_login(request: Any, claims: Claims, *, signed: SignedIn | None = None) -> Any:
    """Log the replica user of ``claims`` into Django's session (``django.contrib.auth.login``),
    bound to the Cognito sign-in ``signed`` (the verified tokens the claims come from): with
    ``SessionRefreshMiddleware`` the session ends when that sign-in does. Without ``signed``,
    the session ends when ``claims`` expire."""
    from django.contrib.auth import login

    from .config import replica_config
    from .middleware import bind_session
    from .sync import sync_user as sync

    user = sync(claims)
    login(request, user, backend=replica_config().session_backend)
    bind_session(request, claims, signed)
    return user
