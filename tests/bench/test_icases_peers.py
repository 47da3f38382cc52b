"""The instruction-count cases of benchmarks/icases_peers.py still build and verify.

Each case is built and called twice in a subprocess started in benchmarks/ (so the installed
fastcognito is imported and Django's settings of this session stay untouched); every peer case
must return its claims for a good token. Nothing is timed here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.benchmarks import BENCHMARKS, WITH_FIXTURE, run_in_benchmarks

BUILD_AND_CALL = WITH_FIXTURE + """
        from icases_peers import BASELINES, CASES, REFERENCES
        from peers import PEERS
        import icases_core
        outcome = {"peers": list(PEERS), "baselines": BASELINES, "references": REFERENCES, "core": {}}
        for name, factory in CASES.items():
            call = factory()
            first, second = call(), call()
            outcome[name] = [type(first).__name__, bool(first), bool(second)]
        for name, factory in icases_core.CASES.items():
            call = factory()
            first, second = call(), call()
            groups = [len(result.groups) if result is not None else None for result in (first, second)]
            outcome["core"][name] = [type(first).__name__, groups]
        outcome["core baselines"] = icases_core.BASELINES
        outcome["core references"] = icases_core.REFERENCES
print(json.dumps(outcome))
"""


@pytest.mark.slow
def test_every_instruction_case_builds_and_verifies() -> None:
    outcome = run_in_benchmarks(BUILD_AND_CALL)
    peers = outcome.pop("peers")
    # Every peer's figure is checked against the raw verify (instructions.refusal).
    # fastcognito's against the cheaper RSA check it makes, and against key.verify as well.
    ours = {"fastcognito-compiled", "fastcognito-pure"}
    assert outcome.pop("baselines") == {
        f"peer {name}": CHECK if name in ours else RAW for name in peers
    }
    assert outcome.pop("references") == {CHECK: RAW} | {f"peer {name}": RAW for name in ours}
    # The core group: each twin on the 1 kB and the 5 kB (200 groups) token; cold cases checked
    # against the RSA check they contain, made as fastcognito makes it, on tokens of their size,
    # and given also against cryptography's key.verify of the same tokens.
    core, core_baselines = outcome.pop("core"), outcome.pop("core baselines")
    core_references = outcome.pop("core references")
    for name, (kind, groups) in core.items():
        if name.startswith("raw"):
            assert kind == "NoneType" and groups == [None, None], name
        else:
            assert kind == "Claims", name
            assert groups == ([200, 200] if "5 kB" in name else [2, 2]), name
    cold = [name for name in core if " cold" in name]
    # The pure twin's floor (base64url, the RSA check, the JSON; nothing checked) holds the same
    # check, and is given against key.verify too.
    floors = [name for name in core if name.startswith("raw pure-Python floor")]
    assert len(cold) == 6 and len(floors) == 2 and set(core_baselines) == {*cold, *floors}
    for size, tokens in (("1 kB", "1 kB tokens"), ("5 kB", "5 kB tokens (200 groups)")):
        raw, check = f"raw cryptography RSA verify, {tokens}", f"raw RSA check as fastcognito makes it, {tokens}"
        of_size = [name for name in [*cold, *floors] if ("5 kB" in name) == (size == "5 kB")]
        assert {core_baselines[name] for name in of_size} == {check}, size
        assert {core_references[name] for name in [*of_size, check]} == {raw}, size
    assert {"fastcognito-compiled", "pyjwt-pyjwkclient", "djognito-style", "django-cognito-jwt"} <= set(peers)
    assert set(outcome) == {RAW, CHECK} | {f"peer {name}" for name in peers}
    assert outcome[RAW] == outcome[CHECK] == ["NoneType", False, False]
    for name in peers:
        kind, first_ok, second_ok = outcome[f"peer {name}"]
        assert first_ok and second_ok, f"{name} returned a falsy {kind} for a good token"


BUILD_AND_CALL_E2E = WITH_FIXTURE + """
        from icases_e2e import CASES
        print(json.dumps({name: [factory()() for _ in range(2)] for name, factory in CASES.items()}))
"""


@pytest.mark.slow
def test_every_example_project_case_answers_200() -> None:
    # The in-process cases of the example project's stack (icases_e2e.py): each builds, its
    # warm-up passes, and the callable `make bench-instructions` counts answers 200, the DRF one
    # only because the token authenticates (IsAuthenticated).
    outcome = run_in_benchmarks(BUILD_AND_CALL_E2E)
    assert len(outcome) == 4
    assert any(name.startswith("DRF view, cached token") for name in outcome)
    assert all(statuses == [200, 200] for statuses in outcome.values()), outcome


# main() with callgrind replaced by totals made up per case: the fixture, the discovery, the
# order (the baseline first) and the checks are the real ones.
FAKE_COUNTS = """
import contextlib, io, json, shutil, sys
sys.path.insert(0, ".")
import instructions
per_call = json.loads(sys.argv[1])
set_up = 40_000_000  # what both processes spend before the first call
def fake_count(module_name, case_name, iterations, workdir, environ):
    return set_up + round(per_call[case_name] * iterations)
instructions._count = fake_count
shutil.which = lambda name: "/usr/bin/" + name
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        status = instructions.main(["--iterations", "10", "--filter", "peer fastcognito-compiled"])
    except SystemExit as err:
        status = err.code
print(json.dumps({"status": status, "stdout": out.getvalue()}))
"""

RAW = "raw cryptography RSA verify"
CHECK = "raw RSA check as fastcognito makes it"
COMPILED = "peer fastcognito-compiled"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("raw", "compiled", "why"),
    [
        # The figures the peers group printed while each process generated its own key.
        (3_031_555, -1_364_880, "outside the plausible"),
        (349_000, -1_364_880, "fewer than the raw RSA verify"),
        (349_000, 340_000, "fewer than the raw RSA verify"),
        (349_000, 349_000 * 21, "more than 20x the raw RSA verify"),
        (20_000, 25_000, "outside the plausible"),
    ],
)
def test_impossible_figures_are_refused(raw: int, compiled: int, why: str) -> None:
    outcome = subprocess.run(
        [sys.executable, "-W", "error", "-c", FAKE_COUNTS, json.dumps({RAW: raw, CHECK: raw, COMPILED: compiled})],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert outcome.returncode == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert isinstance(result["status"], str) and result["status"].startswith("refusing to print"), result
    assert why in result["status"], result
    # Nothing impossible reached the table.
    assert f"{compiled:,}" not in result["stdout"]


@pytest.mark.slow
def test_plausible_figures_are_printed_with_their_ratio() -> None:
    outcome = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            FAKE_COUNTS,
            json.dumps({RAW: 349_000, CHECK: 336_000, COMPILED: 366_450}),
        ],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert outcome.returncode == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["status"] == 0, result
    lines = result["stdout"].splitlines()
    # The baseline (the RSA check fastcognito makes) and the reference (key.verify) are counted
    # first, though the filter did not select them; the case is given against both.
    assert lines[1].startswith(f"peers: {RAW}") and lines[1].endswith("349,000"), lines
    assert lines[2].startswith(f"peers: {CHECK}") and lines[2].endswith("336,000  0.963x key.verify"), lines
    assert lines[3].startswith(f"peers: {COMPILED}"), lines
    assert lines[3].endswith("366,450  1.091x raw  1.050x key.verify"), lines
