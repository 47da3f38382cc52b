"""The pure twin's cold verify on every CPython found, against cryptography's ``key.verify`` in the
same process: the figure users without the wheel get, which depends on how their interpreter was
built as much as on its version.

``make bench-pure`` runs this. For each interpreter (CPython 3.10 to 3.13 found as nox finds them,
see scripts/pythons.py, and every ``--python`` given; ``make`` adds Debian's PGO and LTO build
where it exists) it makes a venv under ``.bench/pure-twin/`` holding only the core's dependencies
at the pinned versions (cryptography and requests), and runs itself there with ``--child``,
importing fastcognito from this tree: no extension is built, so only the pure twin exists.

A child times, in CPU time, rounds of 256 cold verifies (each token another user's, cache off, the
verifier of ``make bench``: one pool, client id and ``token_use`` checked) and of the pure floor
(floors.py: what no check can remove), each just after a round of ``key.verify`` on the same
signatures; a ratio is the median of the per-round ratios, as in ``make bench``. Every token is
verified, and its claims checked, before anything is timed. Nothing here asserts a time.

    python benchmarks/pure_twin.py [--rounds N] [--python EXE]... [--only-given] [--no-venv] [--json PATH]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
ROOT = BENCHMARKS.parent
VENVS = ROOT / ".bench" / "pure-twin"
DEFAULT_ROUNDS = 60
# What the core needs at run time (pyproject.toml's dependencies), at the pinned versions.
CORE_DEPENDENCIES = ("cryptography", "requests")
# The configure options that make an interpreter run Python code faster (PGO and LTO). Debian and
# Ubuntu build theirs with both through their own rules, which CONFIG_ARGS does not show.
BUILD_OPTIONS = ("--enable-optimizations", "--with-lto")

sys.path.insert(0, str(BENCHMARKS))
sys.path.insert(1, str(ROOT / "scripts"))


# --- the child: one interpreter's figures -------------------------------------------------------


def _median_ratio(
    rounds: int, baseline: Callable[[], None], measured: Callable[[], None]
) -> dict[str, float]:
    ratios = []
    timer = time.process_time
    for _ in range(rounds):
        start = timer()
        baseline()
        middle = timer()
        measured()
        end = timer()
        ratios.append((end - middle) / (middle - start))
    ratios.sort()
    return {
        "median": statistics.median(ratios),
        "q1": ratios[len(ratios) // 4],
        "q3": ratios[(3 * len(ratios)) // 4],
    }


def measure(rounds: int) -> dict[str, Any]:
    """This interpreter's ratios to ``key.verify``: the pure floor and the pure twin, cold, on
    1 kB and 5 kB tokens."""
    from bench_tokens import BIG_GROUPS, CLIENT_ID, POOL_ID, BenchToken
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256
    from floors import pure_floor

    from fastcognito import CognitoVerifier, _verify_py
    from fastcognito.jwk import load_rsa_public_key

    bench_token = BenchToken()
    key = load_rsa_public_key(bench_token.jwk)
    padding, algorithm = PKCS1v15(), SHA256()
    floor = pure_floor(key)
    verifier = CognitoVerifier(
        POOL_ID,
        client_id=CLIENT_ID,
        token_use="access",
        jwks=bench_token.jwks,
        cache_size=0,
        _impl_module=_verify_py,
    )
    verify = verifier.verify
    figures: dict[str, Any] = {}
    for size, big in (("1 kB", False), ("5 kB", True)):
        triples = bench_token.distinct(big=big)
        tokens = [token for token, _, _ in triples]
        pairs = [(signature, signing_input) for _, signing_input, signature in triples]
        groups = tuple(BIG_GROUPS) if big else ("admins", "editors")
        for index, token in enumerate(tokens):
            claims = verify(token)
            if claims["username"] != f"user{index:05d}" or claims.groups != groups:
                raise AssertionError(f"token {index} ({size}) verified to the wrong claims")
            floor(token)

        def raw(pairs: list[tuple[bytes, bytes]] = pairs) -> None:
            for signature, signing_input in pairs:
                key.verify(signature, signing_input, padding, algorithm)

        def floor_round(tokens: list[str] = tokens) -> None:
            for token in tokens:
                floor(token)

        def twin_round(tokens: list[str] = tokens) -> None:
            for token in tokens:
                verify(token)

        figures[f"pure floor, cold, {size}"] = _median_ratio(rounds, raw, floor_round)
        figures[f"pure twin, cold, {size}"] = _median_ratio(rounds, raw, twin_round)
    return figures


def interpreter() -> dict[str, Any]:
    config = sysconfig.get_config_var("CONFIG_ARGS") or ""
    return {
        "python": f"{sys.implementation.name} {'.'.join(map(str, sys.version_info[:3]))}",
        "executable": os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
        "configure options": [option for option in BUILD_OPTIONS if option in config],
        "libpython": _libpython(),
        "cryptography": _version("cryptography"),
    }


def _libpython() -> str:
    """How this process runs the interpreter: "shared" when it mapped a libpython (calls inside
    the interpreter then go through the PLT, which costs Python code time), "static" when not;
    sysconfig's Py_ENABLE_SHARED tells how the library was built, not which one runs."""
    try:
        with open("/proc/self/maps", encoding="ascii", errors="replace") as maps:
            return "shared" if any("/libpython" in line for line in maps) else "static"
    except OSError:
        return "unknown"


def _version(distribution: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(distribution)


def child(rounds: int) -> int:
    import fastcognito

    if Path(fastcognito.__file__).resolve().parent != ROOT / "fastcognito":
        raise SystemExit(f"fastcognito came from {fastcognito.__file__}, not from this tree")
    json.dump({"interpreter": interpreter(), "figures": measure(rounds)}, sys.stdout)
    return 0


# --- the driver: every interpreter --------------------------------------------------------------


def interpreters(given: list[str], only_given: bool) -> dict[str, str]:
    """Real path -> the name it was found by, in the order found: each build once."""
    import pythons

    found: dict[str, str] = {}
    candidates = [] if only_given else list(pythons.find_all().values())
    for executable in [*candidates, *given]:
        real = os.path.realpath(executable)
        if os.access(real, os.X_OK):
            found.setdefault(real, executable)
        else:
            print(f"skipped {executable}: not an executable", file=sys.stderr)
    return found


def core_venv(executable: str) -> Path:
    """A venv of ``executable`` with the core's dependencies at the pinned versions, made once."""
    import pythons

    probe = subprocess.run(
        [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    version = probe.stdout.strip()
    constraints = pythons.constraints_for(version)
    digest = hashlib.sha256(f"{executable}\n{constraints.read_bytes().hex()}".encode()).hexdigest()[:12]
    where = VENVS / f"{version}-{digest}"
    python = where / "bin" / "python"
    if not (where / ".complete").exists():
        subprocess.run([executable, "-m", "venv", "--clear", str(where)], check=True)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-c", str(constraints), *CORE_DEPENDENCIES],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(
                f"pip could not install {', '.join(CORE_DEPENDENCIES)} for {executable}:\n{done.stderr}"
            )
        (where / ".complete").touch()
    return python


def run_child(python: str, rounds: int) -> dict[str, Any]:
    environ = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="0")
    done = subprocess.run(
        [python, str(Path(__file__).resolve()), "--child", "--rounds", str(rounds)],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{python} failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout)


def table(runs: list[dict[str, Any]]) -> str:
    names = list(runs[0]["figures"]) if runs else []
    lines = [
        "| Python | executable | configure | libpython | " + " | ".join(names) + " |",
        "|---|---|---|---|" + "---:|" * len(names),
    ]
    for run in runs:
        found = run["interpreter"]
        cells = [
            f"{figure['median']:.2f}x ({figure['q1']:.2f}-{figure['q3']:.2f})"
            for figure in (run["figures"][name] for name in names)
        ]
        options = " ".join(found["configure options"]) or "-"
        lines.append(
            f"| {found['python']} | {found['executable']} | {options} | {found['libpython']} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=DEFAULT_ROUNDS, help="paired rounds a figure (default 60)"
    )
    parser.add_argument("--python", action="append", default=[], help="another interpreter (repeatable)")
    parser.add_argument("--only-given", action="store_true", help="only the --python interpreters")
    parser.add_argument("--no-venv", action="store_true", help="run each interpreter as it is, no venv")
    parser.add_argument("--json", type=Path, help="save the figures, the machine and the load here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.child:
        return child(args.rounds)

    from bench_results import _cpu_name, commit, load_average

    found = interpreters(args.python, args.only_given)
    if not found:
        print("no interpreter found", file=sys.stderr)
        return 1
    load_at_start = load_average()
    runs = []
    for real, given in found.items():
        # A venv's python resolves to its base interpreter: --no-venv runs the name given.
        python = given if args.no_venv else str(core_venv(real))
        runs.append(run_child(python, args.rounds))
    load_at_end = load_average()
    print(table(runs))
    processor = _cpu_name()
    if load_at_start is not None and load_at_end is not None:
        print(
            f"\nload average (1 minute): {load_at_start[0]:.2f} at the start, {load_at_end[0]:.2f} at the end, "
            f"on {os.cpu_count()} CPUs (the benchmark keeps one busy); processor: {processor}"
        )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        saved = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "commit": commit(),
            "rounds": args.rounds,
            "machine": {
                "processor": processor,
                "cpus": os.cpu_count(),
                "load average at start": load_at_start,
                "load average at end": load_at_end,
            },
            "runs": runs,
        }
        args.json.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
