"""The table of ratios every benchmark fills in, and the versions it is measured with.

A row is a median time per operation in a group; each group has one baseline measured in the same
run, and each row's ratio is its median over that baseline. A row measured with a `Paired`
baseline instead gets the median of its per-round ratios, each round divided by a baseline round
run just before it: on a shared machine whose load drifts over minutes, only that pairing keeps
the ratio steady. Rows measured in another process (PyJWT 2.13, aws-jwt-verify) bring their own
ratio, paired the same way in that process.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# The distributions whose versions decide the figures; each is printed and saved with them.
VERSIONED = (
    "fastcognito",
    "cryptography",
    "PyJWT",
    "python-jose",
    "Authlib",
    "joserfc",
    "jwcrypto",
    "cognitojwt",
    "django-cognito-jwt",
    "Django",
    "djangorestframework",
    "pytest-benchmark",
)


# CPU time of this process, as `make bench` gives pytest-benchmark (--benchmark-timer): the time
# other jobs of a shared machine hold the cores does not count, as wall-clock time would.
TIMER = time.process_time

# The verify groups this suite defines; groups of other files (the DRF request) follow them.
GROUP_ORDER = ("cold", "hit", "cold 5 kB", "hit 5 kB")


def versions() -> dict[str, str]:
    found = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        # Which build: pyenv's (.venv) and Debian's (`make bench-optimized`) are both 3.11, and
        # only the second is built with PGO and LTO.
        "python executable": os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
    }
    for name in VERSIONED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


@dataclass
class Row:
    name: str
    group: str
    median: float | None  # seconds per operation; None when the row comes with its ratio only
    baseline: bool = False
    ratio: float | None = None  # set for paired rows and rows measured in another process
    note: str = ""  # the checks the verifier does not make, or where the figure comes from


@dataclass
class Paired:
    """A baseline round timed just before each measured round: pass ``paired.setup`` as
    pytest-benchmark's ``pedantic(setup=...)`` (untimed by it) and ``paired`` to ``record``.

    ``baseline_round`` does ``operations`` baseline operations; ``arguments``, when given, makes
    the measured round's arguments as pedantic's setup would.
    """

    baseline_round: Callable[[], object]
    operations: int
    arguments: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]] | None = None
    samples: list[float] = field(default_factory=list)  # seconds per baseline operation

    def setup(self) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        start = TIMER()
        self.baseline_round()
        self.samples.append((TIMER() - start) / self.operations)
        return self.arguments() if self.arguments else None


class Results:
    """Median seconds per operation, by case and group, filled in as the benchmarks run."""

    def __init__(self) -> None:
        # Keyed by (group, name): one verifier appears in several groups under one name.
        self.rows: dict[tuple[str, str], Row] = {}
        # The tree measured: read before the run, which a commit made meanwhile must not rename.
        self.commit = commit()
        self.load_at_start = load_average()
        self._load_at_end: list[float] | None = None

    def record(
        self,
        name: str,
        benchmark: Any,
        per_round: int = 1,
        *,
        group: str | None = None,
        baseline: bool = False,
        note: str = "",
        paired: Paired | None = None,
    ) -> None:
        """``group`` defaults to the benchmark's own group; ``baseline`` marks the row the others
        of the group are divided by; ``paired`` gives the row its own interleaved baseline."""
        stats = getattr(benchmark, "stats", None)
        if stats is None:  # --benchmark-disable: nothing was timed
            return
        group = group or getattr(benchmark, "group", None) or "ungrouped"
        ratio = None
        if paired is not None:
            rounds = [duration / per_round for duration in stats.stats.data]
            # pedantic calls setup before each warm-up round too: the last samples pair with rounds.
            baselines = paired.samples[-len(rounds) :]
            ratio = statistics.median(measured / base for measured, base in zip(rounds, baselines))
        self.rows[group, name] = Row(
            name, group, stats.stats.median / per_round, baseline=baseline, ratio=ratio, note=note
        )

    def record_ratio(self, name: str, *, group: str, ratio: float, median: float | None, note: str) -> None:
        """A row measured in another process, against its own baseline there."""
        self.rows[group, name] = Row(name, group, median, ratio=ratio, note=note)

    def ratio(self, row: Row) -> float | None:
        if row.ratio is not None:
            return row.ratio
        baseline = self._baselines().get(row.group)
        if baseline is None or row.median is None:
            return None
        return row.median / baseline

    def _baselines(self) -> dict[str, float]:
        return {row.group: row.median for row in self.rows.values() if row.baseline and row.median}

    def ordered(self) -> list[Row]:
        """The verify groups first, then the others as they appear; in each group the baseline
        first, then by ratio."""
        groups: list[str] = [
            group for group in GROUP_ORDER if any(row.group == group for row in self.rows.values())
        ]
        for row in self.rows.values():
            if row.group not in groups:
                groups.append(row.group)
        ordered: list[Row] = []
        for group in groups:
            members = [row for row in self.rows.values() if row.group == group]
            members.sort(key=lambda row: (not row.baseline, self.ratio(row) or float("inf")))
            ordered.extend(members)
        return ordered

    def table(self) -> str:
        lines = [
            "| group | case | median (us) | ratio | checks not made / note |",
            "|---|---|---:|---:|---|",
        ]
        for row in self.ordered():
            ratio = self.ratio(row)
            median = "-" if row.median is None else f"{row.median * 1e6:.3f}"
            shown = "-" if ratio is None else f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.4f}x"
            lines.append(f"| {row.group} | {row.name} | {median} | {shown} | {row.note} |")
        return "\n".join(lines)

    def load_at_end(self) -> list[float] | None:
        """The load averages when the run ended: read once, so that the printed line and the
        saved JSON give the same figures."""
        if self._load_at_end is None:
            self._load_at_end = load_average()
        return self._load_at_end

    def load_line(self) -> str:
        """The machine's load over the run and its processor, printed under the table and saved
        with it: other jobs on the cores slow the Python-level rows (the pure twin, the floor) more
        than the RSA baseline, and another CPU keeps another ratio between the two, so their
        ratios compare only between runs at a like load on the same processor."""
        start, end = self.load_at_start, self.load_at_end()
        if start is None or end is None:
            return "load average: not kept by this system"
        return (
            f"load average (1 minute): {start[0]:.2f} at the start, {end[0]:.2f} at the end, on "
            f"{os.cpu_count()} CPUs (the benchmarks keep one busy); processor: {_cpu_name()}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "commit": self.commit,
            "machine": {
                "processor": _cpu_name(),
                "machine": platform.machine(),
                "system": platform.platform(),
                "cpus": os.cpu_count(),
                # 1, 5 and 15 minutes, as os.getloadavg gives them.
                "load average at start": self.load_at_start,
                "load average at end": self.load_at_end(),
            },
            "versions": versions(),
            "rows": [{**asdict(row), "ratio": self.ratio(row)} for row in self.ordered()],
        }


def commit() -> str:
    """The short commit of the tree measured (its uncommitted changes are not shown), or "unknown"."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages, or None where the system keeps none."""
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
