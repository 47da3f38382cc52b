"""Instructions per call, counted by valgrind's callgrind: a measure that a busy machine does not blur.

``make bench-instructions`` runs this. Each case runs in two fresh processes under
``valgrind --tool=callgrind`` with the same set-up and ``PYTHONHASHSEED`` fixed: one calls the case
``N`` times, the other 0 times. The difference of their instruction totals, divided by ``N``, is the
cost of one call, with interpreter start-up, imports and set-up taken out.

Cases are found in the modules ``benchmarks/icases_*.py``; each exposes
``CASES: dict[str, Callable[[], Callable[[], object]]]``: a factory that does the set-up (not
measured, and free to warm up) and returns the zero-argument callable to measure.

Every case uses the same key and tokens, made once here and handed to the children in a JSON file
(``fixture()`` reads it, ``bench_token()`` rebuilds the ``BenchToken`` from it), and the same JWKS,
written to a file and served on 127.0.0.1 by this process. Whatever is random (key generation,
the claims of distinct tokens), timed (``iat``, a server's poll loop) or threaded must stay out of
the counted processes: the two would not do the same work, and the difference would not be the
cost of the calls (a 2048-bit key generation alone varies by millions of instructions).

A figure that cannot be true is refused, not printed: the tool stops with a non-zero status. A
module may name, in ``BASELINES``, the raw RSA verify each of its full-verify cases contains; such a
case must count at least its baseline and at most ``MAX_RATIO`` times it, and the baseline itself
must lie in ``RAW_RSA_RANGE``. Every other case must count more than zero. A module may also name,
in ``REFERENCES``, a case each ratio is given against besides its baseline (the verifier's cases:
cryptography's ``key.verify``, the reference of the performance goals, where the baseline is the
cheaper RSA check fastcognito makes).

    python benchmarks/instructions.py [--iterations N] [--filter TEXT]... [--json PATH] [--tokens PATH]
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench_tokens import BenchToken

BENCHMARKS = Path(__file__).resolve().parent
FIXTURE_ENV = "FASTCOGNITO_ICASES_FIXTURE"
DEFAULT_ITERATIONS = 300
# How many distinct tokens the cold cases may cycle through.
DISTINCT_TOKENS = 8

# An RSA-2048 verify with e = 65537 is 17 modular multiplications and one SHA-256: some 10^5
# instructions on any 64-bit CPU OpenSSL supports, never 10^4 nor 10^7.
RAW_RSA_RANGE = (50_000, 2_000_000)
# No verifier measured does more than about 10 RSA verifies' work for one token.
MAX_RATIO = 20.0

Case = Callable[[], Callable[[], object]]


def fixture() -> dict[str, Any]:
    """The shared key material: ``token``, ``jwks``, ``distinct`` (a list of tokens of other users),
    ``bench_token`` (``BenchToken.snapshot()``), ``jwks_path`` and ``jwks_url``."""
    with open(os.environ[FIXTURE_ENV], encoding="utf-8") as file:
        data: dict[str, Any] = json.load(file)
    return data


@functools.lru_cache(maxsize=1)
def bench_token() -> BenchToken:
    """The parent's ``BenchToken``, every token made up front, without its private key."""
    from bench_tokens import BenchToken

    return BenchToken.from_snapshot(fixture()["bench_token"])


class Discovered(dict[str, tuple[str, str]]):
    """``"module: case"`` -> (module name, case name), in file order, ``baselines``: each
    full-verify case's baseline, and ``references``: the case each ratio is also given against,
    all as ``"module: case"``."""

    baselines: dict[str, str]
    references: dict[str, str]


def discover() -> Discovered:
    """Every case, as ``"module: case"`` -> (module name, case name), in file order."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    found = Discovered()
    found.baselines = {}
    found.references = {}
    for path in sorted(BENCHMARKS.glob("icases_*.py")):
        module = importlib.import_module(path.stem)
        cases: dict[str, Case] = module.CASES
        prefix = path.stem.removeprefix("icases_")
        for name in cases:
            found[f"{prefix}: {name}"] = (path.stem, name)
        baselines: dict[str, str] = getattr(module, "BASELINES", {})
        for name, baseline in baselines.items():
            if name not in cases or baseline not in cases:
                raise SystemExit(f"{path.name}: BASELINES names an unknown case: {name} -> {baseline}")
            found.baselines[f"{prefix}: {name}"] = f"{prefix}: {baseline}"
        references: dict[str, str] = getattr(module, "REFERENCES", {})
        for name, reference in references.items():
            if name not in cases or reference not in cases:
                raise SystemExit(f"{path.name}: REFERENCES names an unknown case: {name} -> {reference}")
            found.references[f"{prefix}: {name}"] = f"{prefix}: {reference}"
    return found


def refusal(name: str, count: float, baseline: tuple[str, float] | None, is_baseline: bool) -> str | None:
    """Why ``count`` instructions per call cannot be the cost of case ``name``, or None.

    ``baseline`` is (name, count) of the raw RSA verify the case contains, when it does one;
    ``is_baseline`` tells that the case is such a raw verify itself.
    """
    if is_baseline and not RAW_RSA_RANGE[0] <= count <= RAW_RSA_RANGE[1]:
        return (
            f"{name}: {count:,.0f} instructions per raw RSA-2048 verify, outside the plausible "
            f"{RAW_RSA_RANGE[0]:,} to {RAW_RSA_RANGE[1]:,}"
        )
    if baseline is not None:
        baseline_name, baseline_count = baseline
        if count < baseline_count:
            return (
                f"{name}: {count:,.0f} instructions, fewer than the raw RSA verify it contains "
                f"({baseline_name}: {baseline_count:,.0f})"
            )
        if count > MAX_RATIO * baseline_count:
            return (
                f"{name}: {count:,.0f} instructions, more than {MAX_RATIO:g}x the raw RSA verify "
                f"({baseline_name}: {baseline_count:,.0f})"
            )
    if count <= 0:
        return f"{name}: {count:,.0f} instructions per call, not a cost"
    return None


def _child(module_name: str, case_name: str, iterations: int) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    module = importlib.import_module(module_name)
    call = module.CASES[case_name]()
    # What set-up left behind out of the garbage collector's way: a collection of the older
    # generations during the calls would scan every object the imports made, a cost of millions
    # of instructions that depends on where the allocation counters stood, not on the calls.
    # The objects the calls make are still collected as they would be.
    gc.collect()
    gc.freeze()
    for _ in range(iterations):
        call()


@contextmanager
def served_fixture(path: Path, tokens: Path | None = None) -> Iterator[None]:
    """Writes the fixture to ``path`` and serves its JWKS on 127.0.0.1 until the block ends.

    ``tokens``: a ``BenchToken.snapshot()`` saved by an earlier run, to count two trees (before
    and after a change) on the same key and tokens; written there first when it does not exist.
    """
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    from bench_tokens import BenchToken
    from peers import peer_keys

    if tokens is not None and tokens.exists():
        made = BenchToken.from_snapshot(json.loads(tokens.read_text(encoding="utf-8")))
    else:
        made = BenchToken()
        if tokens is not None:
            tokens.write_text(json.dumps(made.snapshot()), encoding="utf-8")
    with peer_keys(made) as keys:
        data = {
            "token": made.token,
            "jwks": made.jwks,
            "distinct": [token for token, _, _ in made.distinct(DISTINCT_TOKENS)],
            "bench_token": made.snapshot(),
            "jwks_path": keys.jwks_path,
            "jwks_url": keys.jwks_url,
        }
        path.write_text(json.dumps(data), encoding="utf-8")
        yield


_TOTAL = re.compile(rb"^(?:summary|totals):\s*(\d+)", re.MULTILINE)
# The children run with address randomisation off (util-linux's setarch -R, where there is one):
# addresses pick the buckets of pointer-keyed hash tables (OpenSSL's, CPython's), and with them
# randomised the same calls counted up to 1% more or less from one process to the next.
_NO_ASLR = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []


def _count(module_name: str, case_name: str, iterations: int, workdir: Path, environ: dict[str, str]) -> int:
    out_file = workdir / f"callgrind.{module_name}.{iterations}.out"
    command = [
        *_NO_ASLR,
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out_file}",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        module_name,
        case_name,
        str(iterations),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=environ, cwd=BENCHMARKS)
    if result.returncode != 0:
        raise SystemExit(f"{module_name}: {case_name} failed under valgrind:\n{result.stderr[-4000:]}")
    match = _TOTAL.search(out_file.read_bytes())
    if match is None:
        raise SystemExit(f"no instruction total in {out_file}")
    out_file.unlink()
    return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=DEFAULT_ITERATIONS)
    parser.add_argument(
        "--filter", action="append", default=[], help="only cases whose name contains this text (repeatable)"
    )
    parser.add_argument("--json", type=Path, help="also write the counts to this file")
    parser.add_argument(
        "--tokens",
        type=Path,
        help="reuse the key and tokens saved in this file (saved there first if it does not exist; "
        "they verify for a day)",
    )
    parser.add_argument("--child", nargs=3, metavar=("MODULE", "CASE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if args.iterations < 1:
        raise SystemExit("--iterations must be at least 1")
    discovered = discover()
    selected = [name for name in discovered if not args.filter or any(text in name for text in args.filter)]
    # A selected full-verify case brings its baseline, counted first so each case can be checked
    # against it as soon as it is counted.
    needed = {discovered.baselines[name] for name in selected if name in discovered.baselines}
    needed |= {discovered.references[name] for name in [*selected, *needed] if name in discovered.references}
    cases = [name for name in discovered if name in needed]
    cases += [name for name in selected if name not in needed]
    all_baselines = set(discovered.baselines.values())
    counts: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="fastcognito-icount-") as tmp:
        workdir = Path(tmp)
        fixture_path = workdir / "fixture.json"
        with served_fixture(fixture_path, args.tokens):
            environ = {**os.environ, FIXTURE_ENV: str(fixture_path), "PYTHONHASHSEED": "0"}
            width = max((len(name) for name in cases), default=0)
            print(f"instructions per call ({args.iterations} calls minus 0 calls, callgrind)")
            for name in cases:
                module_name, case_name = discovered[name]
                full = _count(module_name, case_name, args.iterations, workdir, environ)
                empty = _count(module_name, case_name, 0, workdir, environ)
                count = (full - empty) / args.iterations
                baseline_name = discovered.baselines.get(name)
                baseline = None if baseline_name is None else (baseline_name, counts[baseline_name])
                why = refusal(name, count, baseline, is_baseline=name in all_baselines)
                if why is not None:
                    raise SystemExit(
                        f"refusing to print an impossible figure: {why}. The processes with {args.iterations}"
                        " and 0 calls did not do the same work: is some set-up random, timed or threaded?"
                    )
                counts[name] = count
                ratio = f"  {count / baseline[1]:.3f}x raw" if baseline is not None else ""
                reference = discovered.references.get(name)
                if reference is not None:
                    ratio += f"  {count / counts[reference]:.3f}x key.verify"
                print(f"{name:<{width}}  {count:>12,.0f}{ratio}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
