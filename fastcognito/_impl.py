"""Chooses the hot-path twin: the compiled ``_verify`` unless told otherwise or unavailable.

An unavailable extension still falls back to the pure twin (a source checkout, a wheel for another
platform, a broken build must keep working), but ``EXTENSION_ERROR`` keeps the reason, so the
Django check ``fastcognito.W001`` and the start-up log can say that every verification is slow.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

from ._constants import ENV_NO_EXTENSIONS

NO_EXTENSIONS: bool = os.environ.get(ENV_NO_EXTENSIONS, "") not in ("", "0") or (
    sys.implementation.name != "cpython"
)

# The longest import message kept: enough for a missing module, a bad path or an undefined symbol.
EXTENSION_ERROR_MAX_CHARS = 300

# None when the compiled twin runs, or when the pure twin was chosen on purpose (NO_EXTENSIONS).
EXTENSION_ERROR: str | None = None


def exception_line(err: BaseException, max_chars: int) -> str:
    """``"<type>: <message>"`` on one line, cut to ``max_chars``. Only for errors whose message
    holds no token or secret (an import, cryptography's or hashlib's refusal of a fixed vector)."""
    text = " ".join(f"{type(err).__name__}: {err}".split())
    if len(text) > max_chars:
        text = text[: max_chars - 3] + "..."
    return text


def _import_failure(err: ImportError) -> str:
    return exception_line(err, EXTENSION_ERROR_MAX_CHARS)


if TYPE_CHECKING or NO_EXTENSIONS:
    from . import _verify_py as twin

    EXTENSION_ACTIVE = False
else:
    try:
        # Not `from . import _verify`: for a module that is not there, that reports "cannot import
        # name '_verify' from partially initialized module ... (most likely due to a circular
        # import)", which misleads; this reports "No module named 'fastcognito._verify'".
        twin = importlib.import_module("._verify", __package__)

        EXTENSION_ACTIVE = True
    except ImportError as err:  # a source checkout that was never built, a foreign or broken build
        from . import _verify_py as twin

        EXTENSION_ACTIVE = False
        EXTENSION_ERROR = _import_failure(err)

CacheInfo = twin.CacheInfo
ClaimsCache = twin.ClaimsCache
VerifierCore = twin.VerifierCore
b64url_decode = twin.b64url_decode
decode_header = twin.decode_header
json_too_deep = twin.json_too_deep
token_text = twin.token_text

__all__ = [
    "EXTENSION_ACTIVE",
    "EXTENSION_ERROR",
    "CacheInfo",
    "ClaimsCache",
    "VerifierCore",
    "b64url_decode",
    "decode_header",
    "json_too_deep",
    "token_text",
    "twin",
]
