"""Django REST Framework integration (docs/django.md).

``CognitoAuthentication`` authenticates by a Cognito token; ``HasGroup(...)`` and ``HasScope(...)``
are permission classes that compose with DRF's ``&``, ``|`` and ``~``.
"""

from __future__ import annotations

from .authentication import (
    CognitoAuthentication,
    InvalidToken,
    KeysUnavailable,
    NotConfigured,
    exception_handler,
)
from .permissions import HasGroup, HasScope


def _register_openapi_extension() -> None:
    # drf-spectacular finds extensions by their class definition: importing the module registers
    # it. drf-spectacular reads the REST_FRAMEWORK setting when imported, so only once settings
    # exist, which they do whenever DRF itself loads this package (DEFAULT_AUTHENTICATION_CLASSES,
    # a view). The Django layer (fastcognito.django) never imports DRF.
    import importlib.util

    from django.conf import settings

    if settings.configured and importlib.util.find_spec("drf_spectacular") is not None:
        from . import spectacular  # noqa: F401


_register_openapi_extension()

__all__ = [
    "CognitoAuthentication",
    "HasGroup",
    "HasScope",
    "InvalidToken",
    "KeysUnavailable",
    "NotConfigured",
    "exception_handler",
]
