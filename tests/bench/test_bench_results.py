"""Every saved benchmark result says how loaded the machine was while it ran, and on what processor.

Other jobs on the cores slow the Python-level rows (the pure twin, its floor) more than the RSA
baseline they are divided by, and another CPU keeps another ratio between the two, so two runs'
ratios compare only at a like load on the same processor: the JSON keeps the load averages at the
start and the end of the run beside the processor, and the printed table ends with all three.
"""

from __future__ import annotations

import os

from tests.support.benchmarks import run_in_benchmarks

SAVED_AND_PRINTED = """
import json, os
import bench_results
results = bench_results.Results()
saved = results.as_json()["machine"]
print(json.dumps({"saved": saved, "line": results.load_line(), "cpus": os.cpu_count()}))
"""


def test_results_keep_the_load_of_the_run() -> None:
    outcome = run_in_benchmarks(SAVED_AND_PRINTED)
    saved = outcome["saved"]
    assert saved["cpus"] == outcome["cpus"] == os.cpu_count()
    for moment in ("load average at start", "load average at end"):
        figures = saved[moment]
        assert len(figures) == 3 and all(isinstance(figure, float) and figure >= 0 for figure in figures)
    start = saved["load average at start"][0]
    assert outcome["line"].startswith(f"load average (1 minute): {start:.2f} at the start, ")
    assert outcome["line"].endswith(
        f"on {os.cpu_count()} CPUs (the benchmarks keep one busy); processor: {saved['processor']}"
    )
    assert saved["processor"] and saved["processor"] != "unknown"


READ_TWICE = """
import itertools, json
import bench_results
results = bench_results.Results()
# A load that rises on every reading: the end of the run is read once for both.
readings = itertools.count(1)
bench_results.load_average = lambda: [float(next(readings)), 0.0, 0.0]
line = results.load_line()
saved = results.as_json()["machine"]
print(json.dumps({"saved": saved, "line": line}))
"""


def test_the_printed_line_and_the_saved_json_give_the_same_end_of_the_run() -> None:
    outcome = run_in_benchmarks(READ_TWICE)
    assert outcome["saved"]["load average at end"] == [1.0, 0.0, 0.0]
    assert " 1.00 at the end, " in outcome["line"]
