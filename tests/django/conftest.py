"""Django's tests: the set-up and fixtures live in ``tests.support.django.plugin`` (shared with
tests/drf and tests/security)."""

from tests.support.django.plugin import *  # noqa: F403  (pytest_configure and the fixtures)
