"""The fuzz harness's seed corpus, replayed on both twins, and its oracle.

test_fuzz_slice.py runs atheris itself for a minute; ``make fuzz`` for as long as asked.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from tests.fuzz import differential


@pytest.mark.parametrize("path", differential.corpus_files(), ids=lambda path: path.name)
def test_seed_corpus_replays_identically_on_both_twins(path: Path) -> None:
    differential.check(path.read_bytes())


def test_seed_corpus_reaches_every_step() -> None:
    # A harness whose inputs all die in the base64url decoder would fuzz nothing else.
    seen: collections.Counter[str] = collections.Counter()
    for path in differential.corpus_files():
        token = differential.token_for(path.read_bytes())
        if token is None:
            continue
        for compiled, _ in differential.verifier_pairs():
            seen[differential._outcome(compiled.verify, token, None)[0]] += 1
    for outcome in (
        "claims",
        "MalformedTokenError",
        "UnsupportedAlgorithmError",
        "KeyNotFoundError",
        "InvalidSignatureError",
        "ExpiredTokenError",
        "NotYetValidError",
        "InvalidIssuerError",
        "InvalidTokenUseError",
        "MissingScopeError",
        "ClaimError",  # the custom check
    ):
        assert seen[outcome], (outcome, seen)


def test_a_divergence_fails_the_oracle() -> None:
    def compiled(segment: str) -> bytes:
        return b"x"

    def pure(segment: str) -> bytes:
        return b"y"

    with pytest.raises(differential.Divergence):
        differential.compare_helpers("QQ", [(compiled, pure)])
    differential.compare_helpers("QQ", [(pure, pure)])
