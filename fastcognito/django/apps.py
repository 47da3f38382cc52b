"""The app config of ``fastcognito.django``: system checks, the OpenAPI extension, JWKS prefetch."""

from __future__ import annotations

import importlib.util
import logging

from django.apps import AppConfig

from ..exceptions import ConfigurationError, JWKSError

__all__ = ["FastCognitoConfig"]

logger = logging.getLogger("fastcognito.django")


class FastCognitoConfig(AppConfig):
    name = "fastcognito.django"
    label = "fastcognito"
    verbose_name = "fastcognito"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

        if importlib.util.find_spec("drf_spectacular") is not None:
            from ..drf import spectacular  # noqa: F401  (registers the OpenAPI extension)

        self.prefetch_jwks()

    def prefetch_jwks(self) -> bool:
        """With ``PREFETCH_JWKS``, fetch the keys now. Never fails start-up: a JWKS that cannot be
        had, or settings the system checks will report, only log a warning. Returns whether keys
        were fetched."""
        from .conf import fastcognito_settings

        try:
            if fastcognito_settings.PREFETCH_JWKS is not True:
                return False
            fastcognito_settings.verifier.hydrate()
        except (ConfigurationError, JWKSError) as err:
            logger.warning("fastcognito could not prefetch the JWKS (%s): %s", err.code, err)
            return False
        return True
