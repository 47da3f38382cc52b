"""Django integration (docs/django.md): settings, ``CognitoUser``, ``CognitoMiddleware``.

Add ``"fastcognito.django"`` to ``INSTALLED_APPS`` for the system checks, the start-up validation
and ``PREFETCH_JWKS``. Importing this package reads no settings.
"""

from __future__ import annotations

from .conf import fastcognito_settings
from .middleware import CognitoMiddleware, cognito_login_required
from .client import CognitoClient
from .user import CognitoUser, user_factory

__all__ = [
    "CognitoClient",
    "CognitoMiddleware",
    "CognitoUser",
    "cognito_login_required",
    "fastcognito_settings",
    "user_factory",
]
