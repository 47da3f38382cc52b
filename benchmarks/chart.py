"""docs/benchmarks.png from saved results: no benchmark runs here (`make bench-chart`).

Reads the newest benchmarks/results/bench-*.json (`make bench`) and, when there are, the newest
e2e-<date>.json and e2e-instructions-<date>.json (`make bench-e2e`). Panels: the cold group and the hit group as ratios to the
raw RSA verify of the same run (lower is faster), then the end-to-end capacity as a ratio to the
no-auth request, from the whole gunicorn worker's instructions per request (or, without those,
the server's CPU time per request under wrk; higher is better). A verifier that
skips checks gets its misses in grey.

    python benchmarks/chart.py [--results benchmarks/results] [--out docs/benchmarks.png] [--markdown]
                               [--bench bench-....json] [--e2e e2e-....json]
                               [--e2e-instructions e2e-instructions-....json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

BENCHMARKS = Path(__file__).resolve().parent
GROUP_TITLES = {
    "cold": "Cold: a new token each time (256 users in rotation)",
    "hit": "The same token again (fresh str): fastcognito's cache hit",
}
OURS = "#1f6feb"
THEIRS = "#8b949e"


def newest(results: Path, pattern: str) -> Path | None:
    found = sorted(results.glob(pattern))
    return found[-1] if found else None


def _verify_panel(axis: Any, rows: list[dict[str, Any]], group: str) -> None:
    members = [row for row in rows if row["group"] == group and row["ratio"] is not None]
    members.sort(key=lambda row: row["ratio"], reverse=True)
    labels = [row["name"] for row in members]
    ratios = [row["ratio"] for row in members]
    colours = [OURS if row["name"].startswith("fastcognito") else THEIRS for row in members]
    bars = axis.barh(labels, ratios, color=colours)
    for bar, row in zip(bars, members):
        text = f" {row['ratio']:.2f}x" if row["ratio"] >= 0.1 else f" {row['ratio']:.3f}x"
        axis.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, text, va="center", fontsize=8)
        misses = row["note"].replace("own process, ratio to its own raw verify", "").strip("; ")
        if misses:
            axis.text(
                bar.get_width() * 1.0 + max(ratios) * 0.09,
                bar.get_y() + bar.get_height() / 2,
                misses,
                va="center",
                fontsize=6.5,
                color="#6e7781",
            )
    axis.axvline(1.0, color="#cf222e", linewidth=0.8, linestyle="--")
    axis.set_xlim(0, max(ratios) * 1.9)
    axis.set_title(GROUP_TITLES.get(group, group), fontsize=10, loc="left")
    axis.set_xlabel("time per verify, ratio to the raw cryptography RSA verify (lower is faster)", fontsize=8)
    axis.tick_params(axis="y", labelsize=8)


def _e2e_panel(axis: Any, e2e: dict[str, Any]) -> None:
    runs = e2e["runs"]
    servers = list(dict.fromkeys(run["server"] for run in runs))
    variants = list(dict.fromkeys(run["variant"] for run in runs))
    height = 0.8 / len(servers)
    for index, server in enumerate(servers):
        ratios = [
            next(
                (run["cpu_ratio"] for run in runs if run["server"] == server and run["variant"] == variant),
                0.0,
            )
            for variant in variants
        ]
        unread = [
            next(
                (
                    run.get("unread_cpu_ratio")
                    for run in runs
                    if run["server"] == server and run["variant"] == variant
                ),
                None,
            )
            for variant in variants
        ]
        positions = [position + index * height for position in range(len(variants))]
        bars = axis.barh(positions, ratios, height=height, label=server)
        for bar, ratio, other in zip(bars, ratios, unread):
            text = f" {ratio:.2f}" if other is None else f" {ratio:.2f} ({other:.2f} with the token unread)"
            axis.text(max(bar.get_width(), other or 0.0), bar.get_y() + height / 2, text, va="center", fontsize=7)
            if other is not None:
                # Against the no-auth run that carried the same token in a header nothing reads.
                axis.plot([other, other], [bar.get_y(), bar.get_y() + height], color="black", linewidth=1.2)
    axis.set_yticks([position + 0.4 - height / 2 for position in range(len(variants))], variants, fontsize=8)
    axis.invert_yaxis()
    axis.axvline(1.0, color="#cf222e", linewidth=0.8, linestyle="--")
    # The goal for a cached token: at least 0.97x the no-auth rate.
    axis.axvline(0.97, color="#1a7f37", linewidth=0.8, linestyle=":")
    axis.text(0.97, -0.6, "goal 0.97 ", color="#1a7f37", fontsize=7, ha="right")
    axis.set_xlim(0, 1.6)
    axis.legend(fontsize=7, loc="lower right")
    settings = e2e["settings"]
    axis.set_title(
        f"End to end: example project, 1 worker, wrk {settings['connections']} connections, "
        f"{settings['pairs']} x {settings['seconds']} s",
        fontsize=10,
        loc="left",
    )
    axis.set_xlabel(
        "server CPU per no-auth request / per authenticated request: the share of the no-auth rate kept "
        "(higher is better); black tick: against the no-auth request carrying the same token unread",
        fontsize=8,
    )


def _e2e_counts_panel(axis: Any, counts: dict[str, Any]) -> None:
    """The whole gunicorn worker's instructions per request (server_instructions.py), as the share
    of the no-auth rate a CPU-bound worker keeps: steady, where wrk's rates on a shared machine
    are not. Ticks: against the no-auth request that carries the same token unread."""
    per_request = counts["instructions_per_request"]
    bare, unread = per_request.get("no-auth view, no token"), per_request.get("no-auth view, token unread")
    if bare is None:
        return
    labels = [label for label in per_request if label != "no-auth view, no token"]
    ratios = [bare / per_request[label] for label in labels]
    colours = [OURS if label.startswith("fastcognito") else THEIRS for label in labels]
    bars = axis.barh(labels, ratios, color=colours)
    for bar, label, ratio in zip(bars, labels, ratios):
        text, end = f" {ratio:.3f}", bar.get_width()
        if unread is not None and label != "no-auth view, token unread":
            other = unread / per_request[label]
            axis.plot([other, other], [bar.get_y(), bar.get_y() + bar.get_height()], color="black", linewidth=1.2)
            text += f" ({other:.3f} with the token unread)"
            end = max(end, other)
        axis.text(end + 0.005, bar.get_y() + bar.get_height() / 2, text, va="center", fontsize=7)
    axis.invert_yaxis()
    axis.tick_params(axis="y", labelsize=8)
    axis.axvline(1.0, color="#cf222e", linewidth=0.8, linestyle="--")
    axis.axvline(0.97, color="#1a7f37", linewidth=0.8, linestyle=":")
    axis.text(0.965, len(labels) - 0.45, "goal 0.97", color="#1a7f37", fontsize=7, ha="right")
    axis.set_xlim(0, 1.45)
    axis.set_title(
        "End to end: example project, gunicorn sync, 1 worker: instructions per request (callgrind)",
        fontsize=10,
        loc="left",
    )
    axis.set_xlabel(
        "no-auth instructions per request / this case's: the share of the no-auth rate a CPU-bound worker "
        "keeps (higher is better)\nblack tick: against the no-auth request carrying the same token in a "
        "header nothing reads",
        fontsize=8,
    )


def draw(
    bench: dict[str, Any], e2e: dict[str, Any] | None, out: Path, counts: dict[str, Any] | None = None
) -> None:
    table = bench["fastcognito_table"]
    groups = [group for group in GROUP_TITLES if any(row["group"] == group for row in table["rows"])]
    # The end-to-end panel: the steady instruction counts when there are, else wrk's CPU ratios.
    panels = len(groups) + (1 if counts or e2e else 0)
    figure, axes = plt.subplots(panels, 1, figsize=(11, 4.2 * panels), squeeze=False)
    for axis, group in zip(axes[:, 0], groups):
        _verify_panel(axis, table["rows"], group)
    if counts:
        _e2e_counts_panel(axes[-1, 0], counts)
    elif e2e:
        _e2e_panel(axes[-1, 0], e2e)
    versions = table["versions"]
    figure.suptitle(
        f"fastcognito {versions.get('fastcognito')} vs the verifiers people use - {table['date'][:10]}, "
        f"{table['machine']['processor']}, {versions['python']}, cryptography {versions.get('cryptography')}",
        fontsize=10,
    )
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)


def markdown(
    bench: dict[str, Any], e2e: dict[str, Any] | None, e2e_instructions: dict[str, Any] | None = None
) -> str:
    """The README's tables, from the same JSON as the chart, so the text cannot drift from it."""
    rows = bench["fastcognito_table"]["rows"]
    by_name: dict[str, dict[str, Any]] = {}
    for row in rows:
        if "same str object" in row["name"]:
            continue
        # One line per verifier: fastcognito's rows say how its cache was used, the raw rows which token.
        verifier = row["name"].split(", cache")[0].replace(", one token", "")
        by_name.setdefault(verifier, {})[row["group"]] = row
    order = sorted(by_name, key=lambda name: by_name[name].get("cold", {}).get("ratio") or 0.0)
    lines = [
        "| verifier | cold (new token) | same token again | checks it does not make |",
        "|---|---:|---:|---|",
    ]
    for name in order:
        cold, hit = by_name[name].get("cold"), by_name[name].get("hit")
        if cold is None or hit is None:
            continue
        note = cold["note"].replace("own process, ratio to its own raw verify", "own process").strip("; ")
        lines.append(f"| {name} | {cold['ratio']:.2f}x | {_short(hit['ratio'])} | {note} |")
    text = "\n".join(lines)
    if e2e:
        e2e_lines = [
            "| server | variant | req/s (no-auth) | p50 / p99 ms (no-auth) | CPU us/request (no-auth) | "
            "CPU ratio | req/s ratio | CPU ratio, token unread | req/s ratio, token unread |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for run in e2e["runs"]:
            unread = (
                f"{run['unread_cpu_ratio']:.2f}x | {run['unread_ratio']:.2f}x"
                if "unread_cpu_ratio" in run
                else "- | -"
            )
            e2e_lines.append(
                f"| {run['server']} | {run['variant']} | {run['requests_per_second']:.0f} "
                f"({run['noauth_requests_per_second']:.0f}) | {run['p50_ms']:.1f} / {run['p99_ms']:.1f} "
                f"({run['noauth_p50_ms']:.1f} / {run['noauth_p99_ms']:.1f}) | "
                f"{run['cpu_us_per_request']:.0f} ({run['noauth_cpu_us_per_request']:.0f}) | "
                f"{run['cpu_ratio']:.2f}x | {run['ratio']:.2f}x | {unread} |"
            )
        text += "\n\n" + "\n".join(e2e_lines)
    if e2e_instructions:
        counts = e2e_instructions["instructions_per_request"]
        bases = [base for base in ("no-auth view, no token", "no-auth view, token unread") if base in counts]
        count_lines = [
            "| case | instructions per request | " + " | ".join(f"ratio to {base}" for base in bases) + " |",
            "|---|---:|" + "---:|" * len(bases),
        ]
        for label, count in counts.items():
            ratios = " | ".join(f"{counts[base] / count:.3f}x" for base in bases)
            count_lines.append(f"| {label} | {count:,.0f} | {ratios} |")
        text += "\n\n" + "\n".join(count_lines)
    return text


def _short(ratio: float) -> str:
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.3f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=BENCHMARKS / "results")
    parser.add_argument("--out", type=Path, default=BENCHMARKS.parent / "docs" / "benchmarks.png")
    parser.add_argument("--markdown", action="store_true", help="also print the README's tables")
    parser.add_argument("--bench", type=Path, default=None, help="this bench-*.json rather than the newest")
    parser.add_argument("--e2e", type=Path, default=None, help="this e2e-*.json rather than the newest")
    parser.add_argument(
        "--e2e-instructions", type=Path, default=None, help="this e2e-instructions-*.json rather than the newest"
    )
    args = parser.parse_args(argv)
    bench_path = args.bench or newest(args.results, "bench-*.json")
    if bench_path is None:
        raise SystemExit(f"no bench-*.json in {args.results}: run `make bench` first")
    # e2e-<date>.json (wrk) and e2e-instructions-<date>.json (callgrind) share a prefix.
    e2e_path = args.e2e or newest(args.results, "e2e-2*.json")
    counts_path = args.e2e_instructions or newest(args.results, "e2e-instructions-2*.json")
    bench = json.loads(bench_path.read_text())
    e2e = json.loads(e2e_path.read_text()) if e2e_path else None
    counts = json.loads(counts_path.read_text()) if counts_path else None
    draw(bench, e2e, args.out, counts)
    sources = [path.name for path in (bench_path, e2e_path, counts_path) if path]
    print(f"{args.out} from {', '.join(sources)}")
    if args.markdown:
        print()
        print(markdown(bench, e2e, counts))
        if counts_path:
            print(f"\n(instruction counts from {counts_path.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
