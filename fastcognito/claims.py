"""``Claims``: the verified, read-only claims of one token.

A leaf module (of fastcognito it imports only the shared literals), so both twins can build
``Claims``. One instance is shared by every cache hit of its token, which is why it cannot be
changed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

from ._constants import CLAIM_GROUPS

__all__ = ["Claims"]

_CONTAINERS = (list, dict)
# What the twins may leave in a verified token's dict until someone reads that claim: the JSON
# text of an array (bytes, from the compiled twin's parser; JSON itself has no bytes), or a
# list or dict from the json module. Decoding and freezing 200 groups no check reads cost more
# than the rest of a verify; `Claims._settle` does it on first read, once.
_PENDING = frozenset({bytes, list, dict})
_ABSENT: Any = object()
_NO_SCOPE: frozenset[str] = frozenset()
_EMPTY_PIECE = frozenset({""})
# One str per group name for the whole process, shared by the Claims of every token that names
# it: users share their groups, and a cache of 200-group tokens held a copy of each name per
# entry (12 kB each) once the groups were read. Bounded: past the bound, names already here are
# still shared and new ones are not added (Cognito caps a group name at 128 characters).
_GROUP_NAMES: dict[str, str] = {}
_GROUP_NAMES_MAX = 4096


def split_scope(scope: str) -> frozenset[str]:
    """The scope-tokens of a ``scope`` claim, as both twins check them and ``Claims.scopes`` gives.

    RFC 6749 §3.3: scope-tokens are separated by the space character U+0020 alone, as in
    aws-jwt-verify. A tab, U+00A0, U+2028 or any other whitespace is part of a token (which then
    matches no required scope), never a separator. The empty pieces that runs of spaces, or leading
    and trailing ones, leave are not scope-tokens (RFC 6749: ``1*NQCHAR``) and are dropped.
    """
    if not scope:
        return _NO_SCOPE
    pieces = frozenset(scope.split(" "))
    return pieces - _EMPTY_PIECE if "" in pieces else pieces


def freeze(value: Any) -> Any:
    """A read-only copy of a JSON value: dicts as read-only mappings, lists as tuples, nested
    containers too. ``Claims`` applies it to a container claim, at once or on its first read."""
    if isinstance(value, dict):
        return _FrozenDict(value)
    if isinstance(value, list):
        for item in value:
            if isinstance(item, _CONTAINERS):
                return tuple([freeze(element) for element in value])
        return tuple(value)
    return value


class _FrozenDict(Mapping[str, Any]):
    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = {key: freeze(value) for key, value in data.items()}

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)


class Claims(Mapping[str, Any]):
    """Verified claims: mapping access to every claim plus typed Cognito accessors.

    ``groups`` is a tuple of ``cognito:groups``, ``scopes`` a frozenset of the ``scope`` split on
    U+0020 only (``split_scope``), ``client_id`` the access token's ``client_id`` or the id token's ``aud``.
    """

    # The accessors are computed on first use: most requests read one or two of them, and
    # building all of them up front cost more than the rest of a cache hit.
    __slots__ = ("_data", "_scopes")

    _data: dict[str, Any]
    _scopes: frozenset[str]

    def __init__(self, data: dict[str, Any]) -> None:
        # Claims built here (the ALB verifier, users' tests) freeze their containers at once.
        # The twins skip this (they set the `_data` slot directly) and leave them pending.
        for key, value in data.items():
            if isinstance(value, _CONTAINERS):
                data[key] = freeze(value)
        object.__setattr__(self, "_data", data)

    @property
    def sub(self) -> str | None:
        return self._data.get("sub")

    @property
    def username(self) -> str | None:
        data = self._data
        return data.get("username", data.get("cognito:username"))

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(self.get("cognito:groups") or ())

    @property
    def scopes(self) -> frozenset[str]:
        try:
            return self._scopes
        except AttributeError:
            scope = self._data.get("scope")
            scopes = split_scope(scope) if isinstance(scope, str) else _NO_SCOPE
            # Idempotent, so two threads racing here store equal values.
            object.__setattr__(self, "_scopes", scopes)
            return scopes

    @property
    def token_use(self) -> str | None:
        return self._data.get("token_use")

    @property
    def client_id(self) -> str | None:
        client = self._data.get("client_id")
        if client is None:
            aud = self.get("aud")
            client = aud if isinstance(aud, str) or aud is None else (aud[0] if aud else None)
        return client

    @property
    def exp(self) -> float:
        return self._data["exp"]  # type: ignore[no-any-return]

    @property
    def issuer(self) -> str:
        return self._data["iss"]  # type: ignore[no-any-return]

    def __getitem__(self, key: str) -> Any:
        value = self._data[key]
        if type(value) in _PENDING:
            return self._settle(key, value)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        value = self._data.get(key, _ABSENT)
        if value is _ABSENT:
            return default
        if type(value) in _PENDING:
            return self._settle(key, value)
        return value

    def _settle(self, key: str, value: Any) -> Any:
        # The read-only form of a pending value, stored in its place. Idempotent: two threads
        # racing here store equal values, and replacing a key's value never resizes the dict.
        frozen = freeze(json.loads(value) if type(value) is bytes else value)
        if key == CLAIM_GROUPS and type(frozen) is tuple:
            # Through C-level calls alone: one dict operation a name.
            share = _GROUP_NAMES.setdefault if len(_GROUP_NAMES) < _GROUP_NAMES_MAX else _GROUP_NAMES.get
            frozen = tuple(map(share, frozen, frozen))
        self._data[key] = frozen
        return frozen

    def _settled(self) -> dict[str, Any]:
        data = self._data
        for key, value in data.items():
            if type(value) in _PENDING:
                self._settle(key, value)
        return data

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Claims are read-only")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Claims are read-only")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Claims):
            return self._settled() == other._settled()
        if isinstance(other, Mapping):
            # Equal to the plain JSON form too: lists there, read-only sequences here.
            return _thaw(self._settled()) == _thaw(other)  # type: ignore[no-any-return]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Claims(sub={self.sub!r}, token_use={self.token_use!r}, exp={self.exp!r})"

    def __copy__(self) -> Claims:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Claims:
        return self

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        return (Claims, (self.to_dict(),))

    def to_dict(self) -> dict[str, Any]:
        """A plain, mutable deep copy of the claims (lists for arrays)."""
        return _thaw(self._settled())  # type: ignore[no-any-return]



def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thaw(item) for item in value]
    return copy.copy(value)
