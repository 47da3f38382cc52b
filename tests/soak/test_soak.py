"""A short soak in the suite, on both twins: threads, a small cache, expiring tokens, and a JWKS
that rotates and fails on a real server on 127.0.0.1. ``make soak`` runs it longer, with the
leak run."""

from __future__ import annotations

import logging
import os

import pytest

from tests.soak import soak

SECONDS = float(os.environ.get("SOAK_SLICE_SECONDS", "10"))


@pytest.mark.slow
def test_a_short_soak_gives_no_wrong_answer(twin: object, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="fastcognito")  # the failing JWKS phases warn by design
    result = soak.run_soak(twin.name, seconds=SECONDS, threads=8)  # type: ignore[attr-defined]
    assert result.wrong == [], result.summary()
    # Every kind of answer came up, so "no wrong answer" covered each of them.
    for outcome in ("accepted", "KeyNotFoundError", "ExpiredTokenError", "InvalidSignatureError"):
        assert result.outcomes[outcome] > 0, result.summary()
    assert result.cache_hits > 0
    # Rotations were followed (a fetch per max age at least), yet refetches stay rate limited.
    assert SECONDS / 2 <= result.fetches <= SECONDS / 0.1 + 2, result.summary()
