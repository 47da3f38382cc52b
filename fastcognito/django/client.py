"""Machine-to-machine principals: ``request.user`` for a client-credentials access token.

A token of the ``client_credentials`` grant has no user: no ``username``, no groups, and ``sub``
is the app client id. It verifies like any access token; in Django ``request.user`` is then a
``CognitoClient``, never a ``CognitoUser``, so nothing that means "a person" (staff, superuser,
groups, model permissions) can be granted to it. ``HasScope`` works on it; ``HasGroup`` refuses it.

``FASTCOGNITO["MACHINE_CLIENTS"]`` says which app clients may use such tokens: ``()`` (the default)
refuses every machine token, a list allows those client ids, ``"*"`` allows every client that
``CLIENT_ID`` allows. A refused one is a 401 with code ``machine_token_refused``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

from .._constants import (
    CLAIM_CLIENT_ID,
    CLAIM_COGNITO_USERNAME,
    CLAIM_GROUPS,
    CLAIM_SUB,
    CLAIM_TOKEN_USE,
    CLAIM_USERNAME,
)
from ..claims import Claims
from ..exceptions import ConfigurationError, MachineTokenRefusedError

__all__ = ["CognitoClient", "is_machine_token", "machine_token_check", "principal_for"]


def is_machine_token(claims: Mapping[str, Any]) -> bool:
    """A client-credentials access token: no username, ``sub`` equal to ``client_id``, no groups."""
    get = claims.get
    sub = get(CLAIM_SUB)
    return (
        sub is not None
        and sub == get(CLAIM_CLIENT_ID)
        and get(CLAIM_TOKEN_USE) == "access"
        and get(CLAIM_USERNAME) is None
        and get(CLAIM_COGNITO_USERNAME) is None
        and get(CLAIM_GROUPS) is None
    )


def machine_token_check(allowed: str | Iterable[str]) -> Callable[[Claims], None] | None:
    """The verifier's ``claims_check`` that refuses machine tokens of clients not in ``allowed``
    (the ``MACHINE_CLIENTS`` setting), or ``None`` when every client is allowed (``"*"``).

    A verdict on the claims alone: the verifier asks it once per token, before caching, never on
    a cache hit (a refused token is never cached)."""
    if allowed == "*":
        return None
    if isinstance(allowed, str):
        allowed = [allowed]
    items: list[object] = [None]  # an unusable value is reported just below
    if isinstance(allowed, Iterable) and not isinstance(allowed, Mapping):
        items = list(allowed)
    if not all(isinstance(client, str) and client for client in items):
        raise ConfigurationError(
            f"MACHINE_CLIENTS must be '*' or a collection of app client ids, got {allowed!r}"[:200]
        )
    clients = frozenset(items)

    def refuse_other_machines(claims: Claims) -> None:
        if is_machine_token(claims) and claims.get(CLAIM_CLIENT_ID) not in clients:
            raise MachineTokenRefusedError()

    return refuse_other_machines


def principal_for(claims: Claims, make_user: Callable[[Claims], Any]) -> Any:
    """``CognitoClient(claims)`` for a machine token, else ``make_user(claims)`` (``USER_CLASS``)."""
    # Per request: a user's token has a username (one property read), and is not a machine's.
    if claims.username is None and is_machine_token(claims):
        return CognitoClient(claims)
    return make_user(claims)


class CognitoClient:
    """The app client behind a client-credentials token: authenticated, not a person.

    ``client_id`` (also ``pk`` and ``id``), ``scopes`` (a frozenset of ``resource/scope``) and
    ``claims``. ``is_machine`` is True (``CognitoUser.is_machine`` is False). No groups, never
    staff or superuser, no permission: authorise machines by scope (``HasScope``).
    """

    is_active = True
    is_anonymous = False
    is_authenticated = True
    is_machine = True
    is_staff = False
    is_superuser = False
    groups: tuple[str, ...] = ()
    username = ""
    email = ""

    def __init__(self, claims: Claims) -> None:
        self.claims: Claims = claims
        self.client_id: str = claims.get(CLAIM_CLIENT_ID) or ""
        self.scopes: frozenset[str] = claims.scopes

    @property
    def pk(self) -> str:
        return self.client_id

    @property
    def id(self) -> str:
        return self.client_id

    def get_username(self) -> str:
        return ""

    def __str__(self) -> str:
        return f"client:{self.client_id}"

    def __repr__(self) -> str:
        return f"<CognitoClient {self.client_id!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CognitoClient) and other.client_id == self.client_id

    def __hash__(self) -> int:
        return hash(("CognitoClient", self.client_id))

    def get_user_permissions(self, obj: object = None) -> set[str]:
        return set()

    def get_group_permissions(self, obj: object = None) -> set[str]:
        return set()

    def get_all_permissions(self, obj: object = None) -> set[str]:
        return set()

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def has_perms(self, perm_list: Iterable[str], obj: object = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    def _stateless(self, action: str) -> NoReturn:
        raise NotImplementedError(f"a CognitoClient has no database row to {action}")

    def save(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._stateless("save")

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._stateless("delete")
