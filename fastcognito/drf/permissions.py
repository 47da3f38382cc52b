"""``HasGroup(...)`` and ``HasScope(...)``: DRF permission classes over the token's groups and scopes.

``HasGroup("admins")`` returns a permission *class* (the same one for the same names), so it goes
where DRF expects classes and composes with DRF's operators, which work on classes:

    permission_classes = [HasGroup("admins")]
    permission_classes = [IsAuthenticated & (HasGroup("admins") | HasScope("api/write"))]
    permission_classes = [~HasGroup("banned")]

Several names are any-of; for all-of, compose: ``HasGroup("a") & HasGroup("b")``.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission, BasePermissionMetaclass
from rest_framework.request import Request

__all__ = ["HasGroup", "HasScope"]


class _RequirementMeta(BasePermissionMetaclass):
    """``Cls("a", "b")`` makes (once) the subclass that requires a or b; ``Cls()`` instantiates a
    bound subclass, as DRF does with every permission class."""

    _bound: ClassVar[dict[tuple[type, frozenset[str]], type]] = {}
    _bound_lock: ClassVar[threading.Lock] = threading.Lock()

    def __call__(cls, *names: str, **kwargs: Any) -> Any:
        required: frozenset[str] | None = getattr(cls, "required", None)
        if not names:
            if required is None:
                raise TypeError(
                    f"{cls.__name__} needs at least one name, e.g. {cls.__name__}({cls.example!r})"
                )
            return super().__call__(**kwargs)
        if required is not None:
            raise TypeError(f"{cls.__name__} already names what it requires")
        if kwargs or not all(isinstance(name, str) and name for name in names):
            raise TypeError(
                f"{cls.__name__}(...) takes non-empty strings, e.g. {cls.__name__}({cls.example!r})"
            )
        key = (cls, frozenset(names))
        with _RequirementMeta._bound_lock:
            bound = _RequirementMeta._bound.get(key)
            if bound is None:
                label = ", ".join(repr(name) for name in sorted(key[1]))
                bound = type(cls)(
                    f"{cls.__name__}({label})",
                    (cls,),
                    {
                        "required": key[1],
                        "__module__": cls.__module__,
                        "__qualname__": f"{cls.__qualname__}({label})",
                    },
                )
                _RequirementMeta._bound[key] = bound
        return bound


class _Requirement(BasePermission, metaclass=_RequirementMeta):
    required: ClassVar[frozenset[str]]
    example: ClassVar[str]
    message: ClassVar[Any]
    code: ClassVar[str]
    attribute: ClassVar[str]
    claims_attribute: ClassVar[str]

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return False
        held = getattr(user, self.attribute, None)
        if not isinstance(held, (tuple, list, set, frozenset)):
            # Not a CognitoUser (e.g. a session user, whose groups is a manager): use the token.
            held = getattr(request.auth, self.claims_attribute, None)
            if not isinstance(held, (tuple, frozenset)):
                return False
        return not self.required.isdisjoint(held)


class HasGroup(_Requirement):
    """Allows users in at least one of the named Cognito groups (``cognito:groups``)."""

    example = "admins"
    message = _("You are in none of the groups this action requires.")
    code = "missing_group"
    attribute = "groups"
    claims_attribute = "groups"


class HasScope(_Requirement):
    """Allows tokens with at least one of the named OAuth scopes (``scope``; access tokens only)."""

    example = "api/read"
    message = _("The token has none of the scopes this action requires.")
    code = "missing_scope"
    attribute = "scopes"
    claims_attribute = "scopes"
