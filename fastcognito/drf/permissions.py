"""``HasGroup(...)`` and ``HasScope(...)``: DRF permission classes over the token's groups and scopes.

``HasGroup("admins")`` returns a permission *class* (the same one for the same names), so it goes
where DRF expects classes and composes with DRF's operators, which work on classes:

    permission_classes = [HasGroup("admins")]
    permission_classes = [IsAuthenticated & (HasGroup("admins") | HasScope("api/write"))]
    permission_classes = [IsAuthenticated & ~HasGroup("banned")]

Several names are any-of; for all-of, compose: ``HasGroup("a") & HasGroup("b")``.

``~HasGroup("banned")`` is not DRF's plain negation, which inverts ``has_permission`` and so lets
in every request that ``HasGroup`` refuses for want of groups: anonymous ones first. It is its own
class, which allows only a principal whose groups (or scopes) it can read and which holds none of
the names; anonymous requests, and users without a token (a session login), are refused, as
``HasGroup`` refuses them. ``~~HasGroup("x")`` is ``HasGroup("x")``. Negating a *composition*,
``~(HasGroup("a") | HasScope("b"))``, is DRF's plain ``~`` again: write
``IsAuthenticated & ~(...)`` there.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission, BasePermissionMetaclass
from rest_framework.request import Request

__all__ = ["HasGroup", "HasScope"]


class _RequirementMeta(BasePermissionMetaclass):
    """``Cls("a", "b")`` makes (once) the subclass that requires a or b; ``Cls()`` instantiates a
    bound subclass, as DRF does with every permission class."""

    _bound: ClassVar[dict[tuple[type, frozenset[str]], type]] = {}
    _negations: ClassVar[dict[type, type]] = {}
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

    def __invert__(cls) -> Any:
        """``~HasGroup("banned")``: the class that allows a known principal holding none of the
        names (see the module docstring), made once per bound class."""
        required: frozenset[str] | None = getattr(cls, "required", None)
        if required is None:
            raise TypeError(
                f"{cls.__name__} must name what it requires to be negated: ~{cls.__name__}({cls.example!r})"
            )
        with _RequirementMeta._bound_lock:
            negation = _RequirementMeta._negations.get(cls)
            if negation is None:
                label = f"~{cls.__qualname__}"
                negation = _LacksMeta(
                    label,
                    (_Lacks,),
                    {
                        "requirement": cls,
                        "message": cls.excluded_message,
                        "code": cls.excluded_code,
                        "__module__": cls.__module__,
                        "__qualname__": label,
                    },
                )
                _RequirementMeta._negations[cls] = negation
        return negation


class _LacksMeta(BasePermissionMetaclass):
    def __invert__(cls) -> Any:
        # ~~HasGroup("x") is HasGroup("x"), not DRF's NOT(NOT(...)), which would admit anonymity.
        return cls.requirement


class _Requirement(BasePermission, metaclass=_RequirementMeta):
    required: ClassVar[frozenset[str]]
    example: ClassVar[str]
    message: ClassVar[Any]
    code: ClassVar[str]
    attribute: ClassVar[str]
    claims_attribute: ClassVar[str]
    excluded_message: ClassVar[Any]
    excluded_code: ClassVar[str]

    @classmethod
    def held_by(cls, request: Request) -> Collection[str] | None:
        """The names the request's principal holds, or ``None`` when it has none that can be read:
        anonymous, or a user without a token (a session user, whose ``groups`` is a manager)."""
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return None
        held = getattr(user, cls.attribute, None)
        if not isinstance(held, (tuple, list, set, frozenset)):
            # Not a CognitoUser (e.g. a session user, whose groups is a manager): use the token.
            held = getattr(request.auth, cls.claims_attribute, None)
            if not isinstance(held, (tuple, frozenset)):
                return None
        return held

    def has_permission(self, request: Request, view: Any) -> bool:
        held = self.held_by(request)
        return held is not None and not self.required.isdisjoint(held)


class _Lacks(BasePermission, metaclass=_LacksMeta):
    """``~HasGroup(...)``/``~HasScope(...)``: a principal whose names can be read, holding none of
    the required ones. Unknown (anonymous, no token) is refused, never read as "holds none"."""

    requirement: ClassVar[type[_Requirement]]

    def has_permission(self, request: Request, view: Any) -> bool:
        requirement = self.requirement
        held = requirement.held_by(request)
        return held is not None and requirement.required.isdisjoint(held)


class HasGroup(_Requirement):
    """Allows users in at least one of the named Cognito groups (``cognito:groups``).

    ``~HasGroup("banned")`` allows authenticated users with a token who are in none of them;
    anonymous requests are refused (not DRF's plain ``~``; see the module docstring)."""

    example = "admins"
    message = _("You are in none of the groups this action requires.")
    code = "missing_group"
    excluded_message = _("You are in a group this action excludes.")
    excluded_code = "excluded_group"
    attribute = "groups"
    claims_attribute = "groups"


class HasScope(_Requirement):
    """Allows tokens with at least one of the named OAuth scopes (``scope``; access tokens only).

    ``~HasScope("x")`` allows authenticated tokens without any of them; anonymous requests are
    refused (see the module docstring)."""

    example = "api/read"
    message = _("The token has none of the scopes this action requires.")
    code = "missing_scope"
    excluded_message = _("The token has a scope this action excludes.")
    excluded_code = "excluded_scope"
    attribute = "scopes"
    claims_attribute = "scopes"
