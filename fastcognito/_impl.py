"""Chooses the hot-path twin: the compiled ``_verify`` unless told otherwise or unavailable."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from ._constants import ENV_NO_EXTENSIONS

NO_EXTENSIONS: bool = os.environ.get(ENV_NO_EXTENSIONS, "") not in ("", "0") or (
    sys.implementation.name != "cpython"
)

if TYPE_CHECKING or NO_EXTENSIONS:
    from . import _verify_py as twin

    EXTENSION_ACTIVE = False
else:
    try:
        from . import _verify as twin  # type: ignore[no-redef]

        EXTENSION_ACTIVE = True
    except ImportError:  # pragma: no cover - a source checkout that was never built
        from . import _verify_py as twin

        EXTENSION_ACTIVE = False

CacheInfo = twin.CacheInfo
ClaimsCache = twin.ClaimsCache
VerifierCore = twin.VerifierCore
b64url_decode = twin.b64url_decode
decode_header = twin.decode_header
json_too_deep = twin.json_too_deep

__all__ = [
    "EXTENSION_ACTIVE",
    "CacheInfo",
    "ClaimsCache",
    "VerifierCore",
    "b64url_decode",
    "decode_header",
    "json_too_deep",
    "twin",
]
