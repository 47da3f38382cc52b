"""The app config of ``fastcognito.django``: fail fast on bad settings, JWKS prefetch, a warning
when the compiled hot path is missing or the denylist's cache cannot be trusted. (The OpenAPI
extension is ``fastcognito.drf``'s: the Django layer does not import DRF.)

``ready()`` runs under every server and every management command, which is what makes it the
place to stop start-up: gunicorn and uvicorn run no system checks, so without it a typo in
``FASTCOGNITO`` would only show per request.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured

from ..exceptions import ConfigurationError, JWKSError
from ..verifier import CognitoVerifier

__all__ = ["FastCognitoConfig", "running_command_argv", "serves_requests", "startup_errors"]

logger = logging.getLogger("fastcognito.django")

CHECK_TAG = "fastcognito"

# Management commands that go on to serve requests; every other command (migrate, collectstatic,
# check, shell...) never verifies a token, so it has no use for the keys.
SERVING_COMMANDS = frozenset({"runserver", "runserver_plus", "testserver"})
# Commands for looking at a broken configuration: they run on invalid settings, and `check`
# reports the same errors itself, as its usual report (and exit status 1).
DIAGNOSTIC_COMMANDS = frozenset({"check", "diffsettings", "help", "--help", "-h", "version", "--version"})


def startup_errors() -> list[str]:
    """The errors ``manage.py check`` reports for fastcognito, formatted as it prints them.

    Runs every check registered under the ``fastcognito`` tag (so checks added later count too),
    skipping warnings and ids listed in ``SILENCED_SYSTEM_CHECKS``, as the check command does.
    """
    from django.core import checks

    from . import checks as _registered  # noqa: F401  (registers the checks)

    return [
        str(message)
        for message in checks.run_checks(tags=[CHECK_TAG])
        if message.is_serious() and not message.is_silenced()
    ]


def running_command_argv() -> tuple[str, ...] | None:
    """The arguments of the management command this process runs, or ``None`` when it runs
    none (a server such as gunicorn or uvicorn, a script, a test runner).

    The running ``ManagementUtility.execute`` is found on the stack: its arguments are the truth
    whatever started it (``manage.py``, ``django-admin``, ``python -m django``, or
    ``execute_from_command_line`` in a script), where ``sys.argv`` is not.
    """
    from django.core.management import ManagementUtility

    code = ManagementUtility.execute.__code__
    frame = sys._getframe(1)
    while frame is not None and frame.f_code is not code:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return None
    return tuple(str(arg) for arg in getattr(frame.f_locals.get("self"), "argv", None) or ("django-admin",))


def _command(argv: Sequence[str]) -> str:
    return argv[1] if len(argv) > 1 else "help"


def serves_requests(argv: Sequence[str] | None) -> bool:
    """Whether a process running the command ``argv`` (``None``: no command) serves requests."""
    if argv is None:
        return True
    command = _command(argv)
    if command not in SERVING_COMMANDS:
        return False
    from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

    # runserver's autoreloader is a parent process that only restarts the child that serves.
    return command != "runserver" or "--noreload" in argv or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"


class FastCognitoConfig(AppConfig):
    name = "fastcognito.django"
    label = "fastcognito"
    verbose_name = "fastcognito"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

        argv = running_command_argv()
        if argv is not None and _command(argv) in DIAGNOSTIC_COMMANDS:
            return
        if argv is None:
            self.warn_slow_hot_path()
            self.warn_denylist_cache()
        self.validate_settings()
        if serves_requests(argv):
            self.prefetch_jwks()

    def warn_slow_hot_path(self) -> bool:
        """Log ``fastcognito.W001`` (the compiled hot path is missing) unless it is silenced;
        returns whether it was logged.

        Only a process that runs no management command logs it (gunicorn, uvicorn, a script):
        those run no system checks. Management commands, runserver included, print the check.
        """
        from .checks import check_extension

        logged = False
        for message in check_extension():
            if not message.is_silenced():
                logger.warning("%s (%s) HINT: %s", message.msg, message.id, message.hint)
                logged = True
        return logged

    def warn_denylist_cache(self) -> bool:
        """Log the warnings about the ``DENYLIST`` cache (``fastcognito.W002`` to ``W010``: one
        per process, one that loses revocations...) that are not silenced; returns whether one
        was logged. As for W001: only where no management command prints the checks."""
        from .checks import check_denylist_cache

        logged = False
        for message in check_denylist_cache():
            if not message.is_silenced():
                logger.warning("%s (%s) HINT: %s", message.msg, message.id, message.hint)
                logged = True
        return logged

    def validate_settings(self) -> CognitoVerifier:
        """Stop start-up on settings ``manage.py check`` would reject, with the same messages,
        then build the verifier (no network call). Raises ``ImproperlyConfigured``."""
        from .conf import SETTINGS_NAME, fastcognito_settings

        errors = startup_errors()
        if errors:
            raise ImproperlyConfigured(
                f"{SETTINGS_NAME} is invalid (`manage.py check` reports the same):\n" + "\n".join(errors)
            )
        try:
            return fastcognito_settings.verifier
        except ConfigurationError as err:
            raise ImproperlyConfigured(f"{SETTINGS_NAME} cannot build a verifier: {err}") from err

    def prefetch_jwks(self) -> bool:
        """With ``PREFETCH_JWKS``, fetch the keys now; returns whether keys were fetched.

        A JWKS that cannot be had logs a warning, or stops start-up with ``ImproperlyConfigured``
        when ``PREFETCH_JWKS_FATAL`` is set.
        """
        from .conf import fastcognito_settings

        try:
            if fastcognito_settings.PREFETCH_JWKS is not True:
                return False
            verifier = fastcognito_settings.verifier
            verifier.hydrate()
        except ConfigurationError as err:
            logger.warning("fastcognito could not prefetch the JWKS (%s): %s", err.code, err)
            return False
        except JWKSError as err:
            if fastcognito_settings.PREFETCH_JWKS_FATAL is True:
                raise ImproperlyConfigured(
                    f"fastcognito could not prefetch the JWKS ({err.code}): {err}. "
                    "Start-up stops because FASTCOGNITO['PREFETCH_JWKS_FATAL'] is True."
                ) from err
            logger.warning("fastcognito could not prefetch the JWKS (%s): %s", err.code, err)
            return False
        urls = [str(pool.jwks_url) for pool in verifier.pools.values() if pool.jwks is None]
        logger.info("fastcognito prefetched the JWKS of %s", ", ".join(urls) or "(offline)")
        return True

