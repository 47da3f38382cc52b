"""Differential fuzzing of the twins with atheris (coverage-guided, libFuzzer underneath).

    python tests/fuzz/fuzz_verify.py [libFuzzer options] OUTPUT_CORPUS_DIR tests/fuzz/corpus

``make fuzz`` runs it for ``FUZZ_SECONDS``. New inputs go to the first directory, crashes and
divergences to ``-artifact_prefix``; replay one with ``python tests/fuzz/fuzz_verify.py FILE``.
The pure twin and the rest of the package are instrumented for coverage; the compiled twin is
exercised but only guided through what the pure one shares with it (build it with clang's
``-fsanitize=fuzzer-no-link`` for its own coverage).
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["fastcognito"]):
    import fastcognito  # noqa: F401
    from fastcognito import _verify_py, claims, jwk  # noqa: F401

import differential  # noqa: E402


def test_one_input(data: bytes) -> None:
    differential.check(data)


def main() -> None:
    differential.verifier_pairs()  # keys and verifiers before the first input, not inside it
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
