"""The benchmark suite still runs: every benchmark once, untimed (--benchmark-disable).

It runs in a subprocess started in benchmarks/, so the installed fastcognito is imported (never
the source tree) and the benchmarks' conftest stays out of this session. Untimed, each peer still
goes through its whole correctness pass (good token accepted, forged signature rejected, the
checks it does not make exactly the declared ones), PyJWT 2.13 in its own process and
aws-jwt-verify in Node included.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
PEER_IDS = [
    "pyjwt-pyjwk",
    "pyjwt-pyjwkclient",
    "python-jose",
    "authlib",
    "joserfc",
    "jwcrypto",
    "cognitojwt",
    "djognito-style",
    "django-cognito-jwt",
]


@pytest.mark.slow
def test_benchmarks_run_untimed() -> None:
    pytest_bin = Path(sys.executable).with_name("pytest")
    result = subprocess.run(
        [str(pytest_bin), str(BENCHMARKS), "--benchmark-disable", "-v"],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " skipped" not in result.stdout and " SKIPPED" not in result.stdout, result.stdout
    expected = [f"test_peer_cold[{peer}] PASSED" for peer in PEER_IDS]
    expected += [f"test_peer_repeat_fresh_str[{peer}] PASSED" for peer in PEER_IDS]
    expected += [
        "test_pyjwt_legacy_own_process PASSED",
        "test_aws_jwt_verify_node PASSED",
        "test_pure_floor_distinct PASSED",
        "test_pure_floor_distinct_big PASSED",
        "test_cold_verify_distinct[compiled] PASSED",
        "test_cache_hit_fresh_str[pure] PASSED",
        "test_cold_verify_distinct_big[compiled] PASSED",
        "test_cold_verify_distinct_big[pure] PASSED",
        "test_cache_hit_fresh_str_big[compiled] PASSED",
        "test_drf_without_authentication PASSED",
        "test_drf_cached_token PASSED",
        "test_drf_behind_the_middleware_cached_token PASSED",
        "test_drf_cold_tokens PASSED",
        "test_drf_pyjwt_tutorial_class PASSED",
        "test_plain_view_without_middleware PASSED",
        "test_plain_view_with_middleware_cached_token PASSED",
    ]
    missing = [line for line in expected if line not in result.stdout]
    assert not missing, f"{missing} not in:\n{result.stdout}"
