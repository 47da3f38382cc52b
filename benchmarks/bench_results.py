"""The table of ratios every benchmark fills in, and the versions it is measured with.

A row is a median time per operation in a group; each group has one baseline measured in the same
run, and each row's ratio is its median over that baseline. Rows measured in another process
(PyJWT 2.13, aws-jwt-verify) bring their own ratio, to a baseline measured in that process.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import platform
from dataclasses import asdict, dataclass
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


# The verify groups this suite defines; groups of other files (the DRF request) follow them.
GROUP_ORDER = ("cold", "hit")


def versions() -> dict[str, str]:
    found = {"python": f"{platform.python_implementation()} {platform.python_version()}"}
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
    ratio: float | None = None  # set for rows measured in another process
    note: str = ""  # the checks the verifier does not make, or where the figure comes from


class Results:
    """Median seconds per operation, by case and group, filled in as the benchmarks run."""

    def __init__(self) -> None:
        # Keyed by (group, name): one verifier appears in several groups under one name.
        self.rows: dict[tuple[str, str], Row] = {}

    def record(
        self,
        name: str,
        benchmark: Any,
        per_round: int = 1,
        *,
        group: str | None = None,
        baseline: bool = False,
        note: str = "",
    ) -> None:
        """``group`` defaults to the benchmark's own group; ``baseline`` marks the row the others
        of the group are divided by."""
        stats = getattr(benchmark, "stats", None)
        if stats is None:  # --benchmark-disable: nothing was timed
            return
        group = group or getattr(benchmark, "group", None) or "ungrouped"
        self.rows[group, name] = Row(name, group, stats.stats.median / per_round, baseline=baseline, note=note)

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
        groups: list[str] = [group for group in GROUP_ORDER if any(row.group == group for row in self.rows.values())]
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

    def as_json(self) -> dict[str, Any]:
        return {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": {
                "processor": _cpu_name(),
                "machine": platform.machine(),
                "system": platform.platform(),
            },
            "versions": versions(),
            "rows": [{**asdict(row), "ratio": self.ratio(row)} for row in self.ordered()],
        }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
