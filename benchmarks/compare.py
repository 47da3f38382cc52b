"""Two saved `make bench` runs side by side: each row's ratio to its group's baseline in both
runs and the change, then pytest-benchmark's own comparison of the medians.

    python benchmarks/compare.py [OLD.json NEW.json]

Without arguments, the last two bench-*.json files of benchmarks/results/ (their names sort by
date). Ratios are what to compare: the medians move with the load of the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _rows(path: Path) -> tuple[dict[str, Any], dict[tuple[str, str], float | None]]:
    data = json.loads(path.read_text())
    table = data.get("fastcognito_table")
    if table is None:
        raise SystemExit(f"{path} has no fastcognito_table: was it written by `make bench`?")
    return table, {(row["group"], row["name"]): row["ratio"] for row in table["rows"]}


def _shown(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.3f}x"


def compare(old_path: Path, new_path: Path) -> str:
    old_table, old = _rows(old_path)
    new_table, new = _rows(new_path)
    lines = [
        f"old: {old_path.name} ({old_table['date']}, {old_table['machine']['processor']})",
        f"new: {new_path.name} ({new_table['date']}, {new_table['machine']['processor']})",
        "",
        "| group | case | old ratio | new ratio | change |",
        "|---|---|---:|---:|---:|",
    ]
    for key in list(new) + [key for key in old if key not in new]:
        before, after = old.get(key), new.get(key)
        change = f"{(after / before - 1) * 100:+.1f}%" if before and after else "-"
        lines.append(f"| {key[0]} | {key[1]} | {_shown(before)} | {_shown(after)} | {change} |")
    changed = {
        name: (old_table["versions"].get(name), version)
        for name, version in new_table["versions"].items()
        if old_table["versions"].get(name) != version
    }
    if changed:
        lines.append("")
        lines.append("versions changed: " + ", ".join(f"{n} {a} -> {b}" for n, (a, b) in changed.items()))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) == 2:
        old_path, new_path = Path(argv[0]), Path(argv[1])
    elif not argv:
        runs = sorted(RESULTS.glob("bench-*.json"))
        if len(runs) < 2:
            raise SystemExit(f"need two saved runs in {RESULTS} (run `make bench` twice), found {len(runs)}")
        old_path, new_path = runs[-2], runs[-1]
    else:
        raise SystemExit("usage: compare.py [OLD.json NEW.json]")
    print(compare(old_path, new_path))
    print()
    benchmark_cli = Path(sys.executable).with_name("pytest-benchmark")
    return subprocess.call(
        [
            str(benchmark_cli),
            "compare",
            "--group-by=group",
            "--columns=median,rounds",
            str(old_path),
            str(new_path),
        ]
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
