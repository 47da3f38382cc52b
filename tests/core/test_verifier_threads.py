"""Many threads on one verifier and its claims cache, on both twins; part of the core suite, so it
runs against every wheel cibuildwheel builds, free-threaded CPython included.

The compiled cache relies on the GIL. On a free-threaded build the extension does not declare
itself free-threading safe, so CPython turns the GIL back on when it loads it; the last test
holds that decision in place (docs/install.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Callable
from typing import Any

import pytest

from fastcognito import CognitoVerifier, ExpiredTokenError, InvalidClientError, TokenError
from tests.support import TokenFactory

THREADS = 8
ROUNDS = 150
DISTINCT_SUBJECTS = 24
CACHE_SIZE = 16  # smaller than the working set: threads evict each other's entries all the time


@pytest.fixture
def fast_switching() -> Any:
    # Switch threads every few bytecodes instead of every 5 ms, so interleavings that a slow
    # schedule never produces happen within a bounded run.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def test_threads_share_one_verifier_and_cache(
    make_verifier: Callable[..., CognitoVerifier], tokens: TokenFactory, fast_switching: None
) -> None:
    verifier = make_verifier(cache_size=CACHE_SIZE)
    good = {f"user-{n:03d}": tokens.access(sub=f"user-{n:03d}", jti=f"jti-{n:03d}") for n in range(DISTINCT_SUBJECTS)}
    expired = tokens.access(exp=1_000_000_000, iat=999_990_000, auth_time=999_990_000)
    foreign = tokens.access(client_id="someone-else")
    errors: list[str] = []
    start = threading.Barrier(THREADS)

    def worker(offset: int) -> None:
        start.wait()
        subjects = list(good)
        for round_number in range(ROUNDS):
            subject = subjects[(offset + round_number) % len(subjects)]
            try:
                claims = verifier.verify(good[subject])
                if claims.sub != subject:
                    errors.append(f"{subject}: got the claims of {claims.sub}")
            except TokenError as err:  # pragma: no cover - the failure this test exists for
                errors.append(f"{subject}: {err.code}")
            if round_number % 10 == offset % 10:
                for bad, expected in ((expired, ExpiredTokenError), (foreign, InvalidClientError)):
                    try:
                        verifier.verify(bad)
                        errors.append(f"accepted a bad token ({expected.__name__} expected)")
                    except expected:
                        pass
                    except TokenError as err:  # pragma: no cover
                        errors.append(f"{expected.__name__} expected, got {type(err).__name__}")

    threads = [threading.Thread(target=worker, args=(offset,)) for offset in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert errors == []
    info = verifier.cache_info()
    assert 0 < info.size <= info.maxsize == CACHE_SIZE
    assert info.hits > 0 and info.misses >= DISTINCT_SUBJECTS
    # Every good token still verifies, with its own claims, after the storm.
    for subject, token in good.items():
        assert verifier.verify(token).sub == subject


@pytest.mark.slow
@pytest.mark.skipif(
    not sysconfig.get_config_var("Py_GIL_DISABLED"), reason="only a free-threaded CPython can run without the GIL"
)
def test_free_threaded_build_turns_the_gil_on_for_the_extension(request: pytest.FixtureRequest) -> None:
    if not request.config.getoption("c_extensions"):
        pytest.skip("a pure build: no extension to load")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_GIL", "FASTCOGNITO_NO_EXTENSIONS", "PYTHONPATH")}
    code = "import sys, fastcognito; print(fastcognito.EXTENSION_ACTIVE, sys._is_gil_enabled())"
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, env=env, timeout=60,
        cwd=os.path.dirname(sys.executable), check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
    assert "fastcognito._verify" in done.stderr  # CPython's warning names the module
