"""Django REST Framework integration (docs/django.md).

``CognitoAuthentication`` authenticates by a Cognito token; ``HasGroup(...)`` and ``HasScope(...)``
are permission classes that compose with DRF's ``&``, ``|`` and ``~``.
"""

from __future__ import annotations

from .authentication import CognitoAuthentication, InvalidToken, KeysUnavailable, exception_handler
from .permissions import HasGroup, HasScope


def _register_openapi_extension() -> None:
    # drf-spectacular finds extensions by their class definition. The app config imports the
    # module at start-up; this covers projects that use the authentication class without the
    # app, once Django's apps are ready (drf-spectacular cannot be imported before).
    import importlib.util

    from django.apps import apps

    if apps.ready and importlib.util.find_spec("drf_spectacular") is not None:
        from . import spectacular  # noqa: F401


_register_openapi_extension()

__all__ = ["CognitoAuthentication", "HasGroup", "HasScope", "InvalidToken", "KeysUnavailable", "exception_handler"]
