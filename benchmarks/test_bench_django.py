"""The Django layer's speed: whole requests through Django's ``WSGIHandler``, in one process.

Group "django": DRF views behind ``startproject``'s middleware, compared with the same request
to a DRF view without authentication (the baseline): fastcognito with a cached token (alone, and
behind ``CognitoMiddleware`` as the docs set it up), with cold tokens (256 distinct tokens, claims
cache off), and a PyJWT class written as tutorials write it.
Group "django-plain": a plain Django view behind ``CognitoMiddleware`` with a cached token,
compared with the same view without the middleware and without a token.

The views and the request loop are in django_app.py, shared with the callgrind cases. No timing
assertions: `make bench` prints the medians and their ratios.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import django_app
import pytest
from conftest import BenchToken, Results

REQUESTS_PER_ROUND = 100
ROUNDS = 30


@pytest.fixture(scope="module")
def django_site(bench_token: BenchToken) -> Iterator[dict[str, Any]]:
    server = django_app.JWKSServer(bench_token.jwks)
    django_app.configure(server.url)
    django_app.set_pyjwt_key(bench_token.jwks)
    try:
        yield {
            "default": django_app.wsgi_handler(django_app.STARTPROJECT_MIDDLEWARE),
            "cognito": django_app.wsgi_handler(django_app.COGNITO_MIDDLEWARE),
            "jwks_url": server.url,
        }
    finally:
        server.stop()


def run(benchmark: Any, send: Callable[[], int], expected_status: int = 200) -> None:
    for _ in range(3):  # keys fetched, token cached, lazy imports done
        assert send() == expected_status

    def batch() -> None:
        for _ in range(REQUESTS_PER_ROUND):
            send()

    benchmark.pedantic(batch, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert send() == expected_status


@pytest.mark.benchmark(group="django")
def test_drf_without_authentication(benchmark: Any, django_site: dict[str, Any], results: Results) -> None:
    run(benchmark, django_app.requester(django_site["default"], "/drf/noauth/"))
    results.record(
        "DRF, no authentication (baseline)", benchmark, per_round=REQUESTS_PER_ROUND, group="django", baseline=True
    )


@pytest.mark.benchmark(group="django")
def test_drf_cached_token(
    benchmark: Any, django_site: dict[str, Any], bench_token: BenchToken, results: Results
) -> None:
    send = django_app.requester(django_site["default"], "/drf/cognito/", f"Bearer {bench_token.token}")
    run(benchmark, send)
    results.record(
        "DRF, CognitoAuthentication, cached token", benchmark, per_round=REQUESTS_PER_ROUND, group="django"
    )


@pytest.mark.benchmark(group="django")
def test_drf_behind_the_middleware_cached_token(
    benchmark: Any, django_site: dict[str, Any], bench_token: BenchToken, results: Results
) -> None:
    # The documented stack: CognitoMiddleware and CognitoAuthentication on one request.
    send = django_app.requester(django_site["cognito"], "/drf/cognito/", f"Bearer {bench_token.token}")
    run(benchmark, send)
    results.record(
        "DRF, CognitoMiddleware + CognitoAuthentication, cached token",
        benchmark,
        per_round=REQUESTS_PER_ROUND,
        group="django",
    )


@pytest.mark.benchmark(group="django")
def test_drf_cold_tokens(
    benchmark: Any, django_site: dict[str, Any], bench_token: BenchToken, results: Results
) -> None:
    from django.conf import settings
    from django.test import override_settings

    tokens = [token for token, _, _ in bench_token.distinct()]
    with override_settings(FASTCOGNITO={**settings.FASTCOGNITO, "CACHE_SIZE": 0}):
        run(benchmark, django_app.requesters_with_tokens(django_site["default"], "/drf/cognito/", tokens))
    results.record(
        "DRF, CognitoAuthentication, cold tokens (distinct, no cache)",
        benchmark,
        per_round=REQUESTS_PER_ROUND,
        group="django",
    )


@pytest.mark.benchmark(group="django")
def test_drf_pyjwt_tutorial_class(
    benchmark: Any, django_site: dict[str, Any], bench_token: BenchToken, results: Results
) -> None:
    send = django_app.requester(django_site["default"], "/drf/pyjwt/", f"Bearer {bench_token.token}")
    run(benchmark, send)
    results.record("DRF, PyJWT tutorial class", benchmark, per_round=REQUESTS_PER_ROUND, group="django")


@pytest.mark.benchmark(group="django-plain")
def test_plain_view_without_middleware(benchmark: Any, django_site: dict[str, Any], results: Results) -> None:
    run(benchmark, django_app.requester(django_site["default"], "/plain/"))
    assert django_app.response_body(django_site["default"], "/plain/") == b'{"ok": false}'
    results.record(
        "plain view, no CognitoMiddleware, no token (baseline)",
        benchmark,
        per_round=REQUESTS_PER_ROUND,
        group="django-plain",
        baseline=True,
    )


@pytest.mark.benchmark(group="django-plain")
def test_plain_view_with_middleware_cached_token(
    benchmark: Any, django_site: dict[str, Any], bench_token: BenchToken, results: Results
) -> None:
    authorization = f"Bearer {bench_token.token}"
    run(benchmark, django_app.requester(django_site["cognito"], "/plain/", authorization))
    assert django_app.response_body(django_site["cognito"], "/plain/", authorization) == b'{"ok": true}'
    results.record(
        "plain view, CognitoMiddleware, cached token", benchmark, per_round=REQUESTS_PER_ROUND, group="django-plain"
    )
