"""``Claims``: the verified, read-only claims of one token.

A leaf module (it imports nothing of fastcognito), so both twins can build ``Claims``. One
instance is shared by every cache hit of its token, which is why it cannot be changed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

__all__ = ["Claims"]


def _freeze(value: Any) -> Any:
    # JSON gives dicts, lists and scalars; nested containers become read-only too.
    if isinstance(value, dict):
        return _FrozenDict(value)
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value


class _FrozenDict(Mapping[str, Any]):
    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = {key: _freeze(value) for key, value in data.items()}

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

    ``groups`` is a tuple of ``cognito:groups``, ``scopes`` a frozenset of the space-separated
    ``scope``, ``client_id`` the access token's ``client_id`` or the id token's ``aud``.
    """

    __slots__ = (
        "_data",
        "sub",
        "username",
        "groups",
        "scopes",
        "token_use",
        "client_id",
        "exp",
        "issuer",
    )

    sub: str | None
    username: str | None
    groups: tuple[str, ...]
    scopes: frozenset[str]
    token_use: str | None
    client_id: str | None
    exp: float
    issuer: str

    def __init__(self, data: dict[str, Any]) -> None:
        # The twins hand over a fresh dict from the JSON decoder that nobody else holds, with
        # types they have checked already; only nested containers need freezing.
        for key, value in data.items():
            if isinstance(value, (list, dict)):
                data[key] = _freeze(value)
        set_ = object.__setattr__
        set_(self, "_data", data)
        set_(self, "sub", data.get("sub"))
        set_(self, "username", data.get("username", data.get("cognito:username")))
        set_(self, "groups", tuple(data.get("cognito:groups", ())))
        scope = data.get("scope")
        set_(self, "scopes", frozenset(scope.split()) if isinstance(scope, str) else frozenset())
        set_(self, "token_use", data.get("token_use"))
        client = data.get("client_id")
        if client is None:
            aud = data.get("aud")
            client = aud if isinstance(aud, str) or aud is None else (aud[0] if aud else None)
        set_(self, "client_id", client)
        set_(self, "exp", data["exp"])
        set_(self, "issuer", data["iss"])

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Claims are read-only")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Claims are read-only")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Claims):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
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
        return _thaw(self._data)


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thaw(item) for item in value]
    return copy.copy(value)
