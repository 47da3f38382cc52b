"""Django and DRF tests: the set-up and fixtures live in ``djtest_plugin`` (shared with tests/security)."""

from djtest_plugin import *  # noqa: F403  (pytest_configure and the fixtures)
