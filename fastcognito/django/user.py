"""``CognitoUser``: a stateless user built from verified claims, never from the database.

It answers what DRF and Django ask of ``request.user`` (``is_authenticated``, ``pk``, ``has_perm``,
``get_username()``...) from the token alone. Differences from ``django.contrib.auth`` users:

* ``groups`` is a tuple of group names (``"admins" in user.groups``), not a related manager;
* permissions come from ``FASTCOGNITO["GROUP_PERMISSIONS"]``, not from the permission tables;
* ``save()`` and ``delete()`` raise ``NotImplementedError``: there is no row to write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

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
        conf = fastcognito_settings if conf is None else conf
        self.claims: Claims = claims
        self.sub: str | None = claims.sub
        self.username: str = claims.username or claims.sub or ""
        email = claims.get("email")
        self.email: str = email if isinstance(email, str) else ""
        self.groups: tuple[str, ...] = claims.groups
        self.scopes: frozenset[str] = claims.scopes
        groups = set(self.groups)
        self.is_superuser: bool = not groups.isdisjoint(conf.SUPERUSER_GROUPS)
        self.is_staff: bool = not groups.isdisjoint(conf.STAFF_GROUPS)
        permissions: set[str] = set()
        group_permissions = conf.group_permissions
        for group in self.groups:
            permissions.update(group_permissions.get(group, ()))
        self._permissions = frozenset(permissions)

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
