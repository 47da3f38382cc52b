"""``CognitoUser``: a stateless user built from verified claims, never from the database.

It answers what DRF and Django ask of ``request.user`` (``is_authenticated``, ``pk``, ``has_perm``,
``get_username()``...) from the token alone. Differences from ``django.contrib.auth`` users:

* ``groups`` is a tuple of group names (``"admins" in user.groups``), not a related manager;
* permissions come from ``FASTCOGNITO["GROUP_PERMISSIONS"]``, not from the permission tables;
* ``save()`` and ``delete()`` raise ``NotImplementedError``: there is no row to write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

if TYPE_CHECKING:
    # Typed, and assignable as Django's is; Django's has no lock (functools' has one up to
    # Python 3.11), so it is the one that runs.
    from functools import cached_property
else:
    from django.utils.functional import cached_property

from ..claims import Claims
from .conf import FastCognitoSettings, fastcognito_settings

__all__ = ["CognitoUser"]


class CognitoUser:
    """A user backed by the claims of one verified token. ``pk`` and ``id`` are the ``sub``.

    Built by ``CognitoUser(claims)``; ``is_staff`` and ``is_superuser`` are membership in
    ``STAFF_GROUPS`` and ``SUPERUSER_GROUPS``, and permissions the union of ``GROUP_PERMISSIONS``
    over the user's groups (superusers have every permission).
    """

    is_active = True
    is_anonymous = False
    is_authenticated = True
    is_machine = False  # a CognitoClient (fastcognito.django.client) is the machine principal
    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"

    def __init__(self, claims: Claims | Mapping[str, Any], conf: FastCognitoSettings | None = None) -> None:
        if not isinstance(claims, Claims):
            claims = Claims(dict(claims))
        self.claims: Claims = claims
        self._conf = conf

    # Every other attribute is computed from the claims on first read and then stored on the
    # instance (so a hook may still assign it): most requests read one or two of them, and
    # building them all up front cost more than the verifier's cache hit.

    @cached_property
    def sub(self) -> str | None:
        return self.claims.sub

    @cached_property
    def username(self) -> str:
        claims = self.claims
        return claims.username or claims.sub or ""

    @cached_property
    def email(self) -> str:
        email = self.claims.get("email")
        return email if isinstance(email, str) else ""

    @cached_property
    def groups(self) -> tuple[str, ...]:
        return self.claims.groups

    @cached_property
    def scopes(self) -> frozenset[str]:
        return self.claims.scopes

    @cached_property
    def is_superuser(self) -> bool:
        return not set(self.groups).isdisjoint(self._settings.SUPERUSER_GROUPS)

    @cached_property
    def is_staff(self) -> bool:
        return not set(self.groups).isdisjoint(self._settings.STAFF_GROUPS)

    @cached_property
    def _permissions(self) -> frozenset[str]:
        group_permissions = self._settings.group_permissions
        permissions: set[str] = set()
        for group in self.groups:
            permissions.update(group_permissions.get(group, ()))
        return frozenset(permissions)

    @property
    def _settings(self) -> FastCognitoSettings:
        return fastcognito_settings if self._conf is None else self._conf

    # --- identity ----------------------------------------------------------------------------

    @property
    def pk(self) -> str | None:
        return self.sub

    @property
    def id(self) -> str | None:
        return self.sub

    def get_username(self) -> str:
        return self.username

    def natural_key(self) -> tuple[str]:
        return (self.username,)

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.username!r} sub={self.sub!r}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CognitoUser):
            return self.sub == other.sub
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.sub)

    # --- permissions (as ModelBackend answers them, from GROUP_PERMISSIONS) --------------------

    def get_user_permissions(self, obj: object = None) -> set[str]:
        return set()

    def get_group_permissions(self, obj: object = None) -> set[str]:
        # Like ModelBackend: group permissions are global, none applies to a single object.
        if obj is not None:
            return set()
        return set(self._permissions)

    def get_all_permissions(self, obj: object = None) -> set[str]:
        return self.get_group_permissions(obj)

    def has_perm(self, perm: str, obj: object = None) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return obj is None and perm in self._permissions

    def has_perms(self, perm_list: Iterable[str], obj: object = None) -> bool:
        if isinstance(perm_list, str) or not isinstance(perm_list, Iterable):
            raise ValueError("perm_list must be an iterable of permissions.")
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        prefix = f"{app_label}."
        return any(perm.startswith(prefix) for perm in self._permissions)

    # --- no database -------------------------------------------------------------------------

    def _stateless(self, action: str) -> NoReturn:
        raise NotImplementedError(
            f"{type(self).__name__} is built from a Cognito token and has no database row: "
            f"it cannot {action}. Change users in Cognito, or keep your own model keyed by user.pk (the sub)."
        )

    def save(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._stateless("be saved")

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._stateless("be deleted")

    def set_password(self, raw_password: str | None) -> NoReturn:
        self._stateless("have a password set")

    def check_password(self, raw_password: str) -> NoReturn:
        self._stateless("check a password")


_F = TypeVar("_F", bound=Callable[..., Any])


def user_factory(function: _F) -> _F:
    """Mark ``function(claims) -> user`` as usable for ``FASTCOGNITO["USER_CLASS"]``.

    ``USER_CLASS`` takes a user class (with ``is_authenticated``) or a function marked with this
    decorator, which promises to return a user (or raise a ``TokenError``): the system check
    (E008) cannot look inside a function, and an unmarked one would only fail per request.
    """
    function.fastcognito_user_factory = True  # type: ignore[attr-defined]
    return function
