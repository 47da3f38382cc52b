"""docs/benchmarks.png from saved results: no benchmark runs here (`make bench-chart`).

Reads the newest benchmarks/results/bench-*.json (`make bench`) and, when there are, the newest
e2e-<date>.json and e2e-instructions-<date>.json (`make bench-e2e`) and population-<date>.json
(`make bench-population`). Panels: the cold and hit groups, 1 kB and 5 kB tokens, as ratios to
the raw RSA verify of the same run (lower is faster); the end-to-end capacity as a ratio to the
no-auth request, from the whole gunicorn worker's instructions per request; the cached-token
rate under wrk on every server, WSGI and ASGI, against both no-auth requests; the population's
hit rate and cost per request by cache size. A verifier that skips checks gets its misses in
grey. Under the title: the date, commit and machine of every source.

    python benchmarks/chart.py [--results benchmarks/results] [--out docs/benchmarks.png] [--markdown]
                               [--bench bench-....json] [--e2e e2e-....json]
                               [--e2e-instructions e2e-instructions-....json]
                               [--population population-....json]
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
    "cold 5 kB": "Cold, 5 kB tokens (200 groups): fastcognito only",
    "hit 5 kB": "The same 5 kB token again (fresh str): fastcognito only",
}
CACHED = "fastcognito, one cached token"
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


def _cached_rates_panel(axis: Any, e2e: dict[str, Any]) -> None:
    """The cached-token rate under wrk on every server, against the no-auth request without a
    token and against the one carrying the same token unread (ASGI: the async view)."""
    runs = [run for run in e2e["runs"] if run["variant"].startswith(CACHED)]
    labels = [run["server"] for run in runs]
    height = 0.38
    positions = list(range(len(runs)))
    bare = axis.barh(
        [p - height / 2 for p in positions], [r["ratio"] for r in runs], height, label="no token"
    )
    unread = axis.barh(
        [p + height / 2 for p in positions],
        [r.get("unread_ratio", 0.0) for r in runs],
        height,
        label="the same token, unread",
        color=OURS,
    )
    for bar in [*bare, *unread]:
        width = bar.get_width()
        axis.text(width, bar.get_y() + height / 2, f" {width:.3f}", va="center", fontsize=7)
    axis.set_yticks(positions, labels, fontsize=8)
    axis.invert_yaxis()
    axis.axvline(1.0, color="#cf222e", linewidth=0.8, linestyle="--")
    axis.axvline(0.97, color="#1a7f37", linewidth=0.8, linestyle=":")
    axis.set_xlim(0.5, 1.25)
    axis.legend(fontsize=7, loc="lower right", title="against the no-auth request with", title_fontsize=7)
    settings = e2e["settings"]
    axis.set_title(
        "End to end under wrk, a cached token (WSGI: DRF view; ASGI: async view, CognitoMiddleware)",
        fontsize=10,
        loc="left",
    )
    axis.set_xlabel(
        f"requests per second / the no-auth request's (higher is better; goal 0.97, dotted), medians of "
        f"{settings['pairs']} x {settings['seconds']} s runs, {settings['connections']} connections, "
        "1 worker",
        fontsize=8,
    )


def _population_panel(axis: Any, population: dict[str, Any]) -> None:
    """Hit rate and mean cost per request by cache size (compiled twin), with the cache's memory."""
    runs = [run for run in population["replays"] if run["twin"] == "c"]
    sizes = [run["cache_size"] for run in runs]
    per_entry = population.get("bytes_per_entry_mixed", {}).get("c", 0.0)
    axis.plot(sizes, [run["hit_rate"] for run in runs], marker="o", color=OURS, label="hit rate")
    axis.set_xscale("log", base=2)
    axis.set_ylim(0, 1)
    axis.set_ylabel("hit rate", fontsize=8, color=OURS)
    cost = axis.twinx()
    cost.plot(sizes, [run["ratio_to_raw"] for run in runs], marker="s", color=THEIRS, label="cost")
    cost.set_ylim(0, 1)
    cost.set_ylabel("mean CPU per request / raw RSA verify", fontsize=8, color="#57606a")
    for run in runs:
        megabytes = per_entry * run["cache_size"] / 1e6
        axis.annotate(
            f"{run['hit_rate']:.2f}\n{megabytes:.0f} MB",
            (run["cache_size"], run["hit_rate"]),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=7,
        )
    default = population.get("default_cache_size")
    if default:
        axis.axvline(default, color="#1a7f37", linewidth=0.8, linestyle=":")
        axis.text(default, 0.05, f" default {default:,}", color="#1a7f37", fontsize=7)
    axis.set_xticks(sizes, [f"{size:,}" for size in sizes], fontsize=8)
    shape = population["population"]
    axis.set_title(
        f"{shape['users']:,} users (Zipf {shape['zipf']}), hourly tokens, {shape['requests']:,} requests "
        f"in {shape['hours']:g} h: compiled twin, {per_entry:,.0f} B per entry",
        fontsize=10,
        loc="left",
    )
    axis.set_xlabel("cache_size (entries)", fontsize=8)


def sources_line(sources: dict[str, dict[str, Any] | None]) -> str:
    """Where each panel comes from: the date, commit and machine of each saved result."""
    parts = []
    for name, data in sources.items():
        if not data:
            continue
        meta = data.get("fastcognito_table", data)
        machine = meta.get("machine", {})
        processor = machine.get("processor", "?") if isinstance(machine, dict) else machine
        parts.append(f"{name}: {str(meta.get('date', '?'))[:16]}, {meta.get('commit', '?')}, {processor}")
    return "; ".join(parts)


def draw(
    bench: dict[str, Any],
    e2e: dict[str, Any] | None,
    out: Path,
    counts: dict[str, Any] | None = None,
    population: dict[str, Any] | None = None,
) -> None:
    table = bench["fastcognito_table"]
    groups = [group for group in GROUP_TITLES if any(row["group"] == group for row in table["rows"])]
    cached = e2e is not None and any(run["variant"].startswith(CACHED) for run in e2e["runs"])
    # The end-to-end panels: the steady instruction counts when there are, else wrk's CPU ratios;
    # then the cached token's rate on every server.
    panels = len(groups) + (1 if counts or e2e else 0) + (1 if cached else 0) + (1 if population else 0)
    figure, axes = plt.subplots(panels, 1, figsize=(11, 4.2 * panels), squeeze=False)
    for axis, group in zip(axes[:, 0], groups):
        _verify_panel(axis, table["rows"], group)
    index = len(groups)
    if counts:
        _e2e_counts_panel(axes[index, 0], counts)
        index += 1
    elif e2e:
        _e2e_panel(axes[index, 0], e2e)
        index += 1
    if cached and e2e is not None:
        _cached_rates_panel(axes[index, 0], e2e)
        index += 1
    if population:
        _population_panel(axes[index, 0], population)
    versions = table["versions"]
    figure.suptitle(
        f"fastcognito {versions.get('fastcognito')} vs the verifiers people use, {versions['python']}, "
        f"cryptography {versions.get('cryptography')}",
        fontsize=10,
    )
    sources = sources_line({"verify": bench, "e2e": e2e, "e2e instructions": counts, "population": population})
    figure.text(0.01, 0.002, sources.replace("; ", "\n"), fontsize=7, va="bottom", color="#57606a")
    figure.tight_layout(rect=(0, 0.025, 1, 0.985))
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)


def markdown(
    bench: dict[str, Any],
    e2e: dict[str, Any] | None,
    e2e_instructions: dict[str, Any] | None = None,
    population: dict[str, Any] | None = None,
) -> str:
    """The README's tables, from the same JSON as the chart, so the text cannot drift from it."""
    rows = bench["fastcognito_table"]["rows"]
    by_name: dict[str, dict[str, Any]] = {}
    for row in rows:
        if "same str object" in row["name"] or "denylist" in row["name"]:
            # Variants of a row already there: the one-line-per-verifier table keeps the plain one.
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
        if cold is None:
            continue
        # A row timed cold only (the RSA check the twins make, a floor rather than a verifier).
        same = "" if hit is None else _short(hit["ratio"])
        note = cold["note"].replace("own process, ratio to its own raw verify", "own process").strip("; ")
        lines.append(f"| {name} | {cold['ratio']:.2f}x | {same} | {note} |")
    text = "\n".join(lines)
    big = [row for row in rows if row["group"] in ("cold 5 kB", "hit 5 kB") and not row["baseline"]]
    if big:
        big_lines = ["| fastcognito, 5 kB token (200 groups) | ratio to the raw RSA verify | median (us) |"]
        big_lines.append("|---|---:|---:|")
        for row in big:
            median = "-" if row["median"] is None else f"{row['median'] * 1e6:.2f}"
            big_lines.append(f"| {row['name']} ({row['group']}) | {_short(row['ratio'])} | {median} |")
        text += "\n\n" + "\n".join(big_lines)
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
    if population:
        mixed = population.get("bytes_per_entry_mixed", {})
        population_lines = [
            (
                "| twin | cache_size | hit rate | mean CPU per request (us) | x raw RSA verify | "
                "cache memory (MB) |"
            ),
            "|---|---:|---:|---:|---:|---:|",
        ]
        for run in population["replays"]:
            megabytes = mixed.get(run["twin"], 0.0) * run["cache_size"] / 1e6
            population_lines.append(
                f"| {run['twin']} | {run['cache_size']:,} | {run['hit_rate']:.3f} | {run['mean_us']:.2f} | "
                f"{run['ratio_to_raw']:.3f}x | {megabytes:.0f} |"
            )
        population_lines += ["", "| twin | tokens | bytes per entry, as verified | after every claim read |"]
        population_lines.append("|---|---|---:|---:|")
        for found in population["memory"]:
            population_lines.append(
                f"| {found['twin']} | {found['tokens']} | {found['bytes_per_entry']:,.0f} | "
                f"{found['bytes_per_entry_read']:,.0f} |"
            )
        text += "\n\n" + "\n".join(population_lines)
    sources = {"verify": bench, "e2e": e2e, "e2e instructions": e2e_instructions, "population": population}
    return text + "\n\nSources: " + sources_line(sources)


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
    parser.add_argument(
        "--population", type=Path, default=None, help="this population-*.json rather than the newest"
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
    population_path = args.population or newest(args.results, "population-*.json")
    population = json.loads(population_path.read_text()) if population_path else None
    draw(bench, e2e, args.out, counts, population)
    sources = [path.name for path in (bench_path, e2e_path, counts_path, population_path) if path]
    print(f"{args.out} from {', '.join(sources)}")
    if args.markdown:
        print()
        print(markdown(bench, e2e, counts, population))
        if counts_path:
            print(f"\n(instruction counts from {counts_path.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
