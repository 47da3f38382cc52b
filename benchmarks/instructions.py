"""Instructions per call, counted by valgrind's callgrind: a measure that a busy machine does not blur.

``make bench-instructions`` runs this. Each case runs in two fresh processes under
``valgrind --tool=callgrind`` with the same set-up and ``PYTHONHASHSEED`` fixed: one calls the case
``N`` times, the other 0 times. The difference of their instruction totals, divided by ``N``, is the
cost of one call, with interpreter start-up, imports and set-up taken out.

Cases are found in the modules ``benchmarks/icases_*.py``; each exposes
``CASES: dict[str, Callable[[], Callable[[], object]]]``: a factory that does the set-up (not
measured, and free to warm up) and returns the zero-argument callable to measure.

Every case uses the same key and tokens, made once here (key generation is random, so it must
not happen inside the measured processes) and handed to the children in a JSON file; ``fixture()``
reads it.

    python benchmarks/instructions.py [--iterations N] [--filter TEXT]... [--json PATH]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
FIXTURE_ENV = "FASTCOGNITO_ICASES_FIXTURE"
DEFAULT_ITERATIONS = 300
# How many distinct tokens the cold cases may cycle through.
DISTINCT_TOKENS = 8

Case = Callable[[], Callable[[], object]]


def fixture() -> dict[str, Any]:
    """The shared key material: ``token``, ``jwks``, ``distinct`` (a list of tokens of other users)."""
    with open(os.environ[FIXTURE_ENV], encoding="utf-8") as file:
        data: dict[str, Any] = json.load(file)
    return data


def discover() -> dict[str, tuple[str, str]]:
    """Every case, as ``"module: case"`` -> (module name, case name), in file order."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(BENCHMARKS.glob("icases_*.py")):
        module = importlib.import_module(path.stem)
        cases: dict[str, Case] = module.CASES
        for name in cases:
            found[f"{path.stem.removeprefix('icases_')}: {name}"] = (path.stem, name)
    return found


def _child(module_name: str, case_name: str, iterations: int) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    module = importlib.import_module(module_name)
    call = module.CASES[case_name]()
    for _ in range(iterations):
        call()


def _make_fixture(path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    from conftest import BenchToken

    bench_token = BenchToken()
    data = {
        "token": bench_token.token,
        "jwks": bench_token.jwks,
        "distinct": [token for token, _, _ in bench_token.distinct(DISTINCT_TOKENS)],
    }
    path.write_text(json.dumps(data), encoding="utf-8")


_TOTAL = re.compile(rb"^(?:summary|totals):\s*(\d+)", re.MULTILINE)


def _count(module_name: str, case_name: str, iterations: int, workdir: Path, environ: dict[str, str]) -> int:
    out_file = workdir / f"callgrind.{module_name}.{iterations}.out"
    command = [
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
    parser.add_argument("--child", nargs=3, metavar=("MODULE", "CASE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    cases = {
        name: where
        for name, where in discover().items()
        if not args.filter or any(text in name for text in args.filter)
    }
    counts: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="fastcognito-icount-") as tmp:
        workdir = Path(tmp)
        fixture_path = workdir / "fixture.json"
        _make_fixture(fixture_path)
        environ = {**os.environ, FIXTURE_ENV: str(fixture_path), "PYTHONHASHSEED": "0"}
        width = max((len(name) for name in cases), default=0)
        print(f"instructions per call ({args.iterations} calls minus 0 calls, callgrind)")
        for name, (module_name, case_name) in cases.items():
            full = _count(module_name, case_name, args.iterations, workdir, environ)
            empty = _count(module_name, case_name, 0, workdir, environ)
            counts[name] = (full - empty) / args.iterations
            print(f"{name:<{width}}  {counts[name]:>12,.0f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
