# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# Python 3.10 cannot install a dozen of today's pins (they need 3.11+): it gets its own file.
CONSTRAINTS := requirements/$(shell $(PYTHON) -c 'import sys; print("constraints-py310.txt" if sys.version_info < (3, 11) else "constraints.txt")')
DEPS_STAMP := $(VENV)/.deps-stamp
RELEASE_TOOLS_STAMP := $(VENV)/.release-tools-stamp
DOCS_TOOLS_STAMP := $(VENV)/.docs-tools-stamp
WHEEL_TOOLS_STAMP := $(VENV)/.wheel-tools-stamp
# ministack (the managed-login emulator of the sign-in tests) pins botocore exactly, which clashes
# with moto's: it gets its own virtual environment, every package pinned, installed without
# dependency resolution so nothing unpinned slips in.
MINISTACK_VENV ?= .venv-ministack
MINISTACK_STAMP := $(MINISTACK_VENV)/.deps-stamp
# The systems the migration guides replace (tests/migration), each in a virtual environment of its
# own under MIGRATION_VENVS: the "before" half of each guide's test runs the old package itself.
MIGRATION_VENVS ?= .venv-migration
MIGRATION_SYSTEMS := djognito tutorial rest-microservice code-grant cognito-jwt pyjwt
MIGRATION_STAMPS := $(foreach system,$(MIGRATION_SYSTEMS),$(MIGRATION_VENVS)/$(system)/.deps-stamp)
PYTEST_ARGS ?=
NOX_ARGS ?=

.PHONY: venv install ministack system-packages test test-core bench bench-deps bench-tools bench-compare bench-node bench-e2e \
	bench-chart bench-instructions bench-e2e-instructions bench-population bench-optimized bench-pure demo lock typecheck clean fuzz soak test-asan \
	wheels test-wheels test-all release-tools release-check scale docs docs-tools docs-js signin-local settings-doc \
	migration-envs

venv: $(DEPS_STAMP)

# The virtual environment and every pinned tool the suite, the benchmarks and the demo use.
$(DEPS_STAMP): requirements/test.in requirements/bench.in requirements/actionlint.txt $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c $(CONSTRAINTS) pip
	$(PIP) install -q -c $(CONSTRAINTS) -r requirements/test.in -r requirements/bench.in
	$(PIP) install -q --require-hashes --no-deps -r requirements/actionlint.txt
	touch $@

ministack: $(MINISTACK_STAMP)

$(MINISTACK_STAMP): requirements/ministack.txt
	test -x $(MINISTACK_VENV)/bin/python || $(PYTHON) -m venv $(MINISTACK_VENV)
	$(MINISTACK_VENV)/bin/python -m pip --disable-pip-version-check install -q --no-deps -r requirements/ministack.txt
	touch $@

# One venv per replaced system, from tests/migration/requirements/SYSTEM.txt: every package pinned
# and installed without dependency resolution, as for ministack. Made once per machine (a stamp).
migration-envs: $(MIGRATION_STAMPS)

$(MIGRATION_VENVS)/%/.deps-stamp: tests/migration/requirements/%.txt
	test -x $(MIGRATION_VENVS)/$*/bin/python || $(PYTHON) -m venv $(MIGRATION_VENVS)/$*
	$(MIGRATION_VENVS)/$*/bin/python -m pip --disable-pip-version-check install -q --no-deps -r $<
	touch $@

# Serialised with a lock file through scripts/locked.py, not util-linux flock (macOS has none).
# Build the extension and install the package itself (not editable: the suite tests the
# installed, compiled build, as users get it).
install: $(DEPS_STAMP)
	$(PY) scripts/locked.py $(VENV)/.install.lock $(PIP) install -q --no-build-isolation --no-deps --force-reinstall .
	cd tests && $(abspath $(PY)) -c "import fastcognito, sys; sys.exit(0 if fastcognito.EXTENSION_ACTIVE else 'the extension did not build')"

# The system programs the suite starts (Chromium, PostgreSQL, Redis, Memcached, valgrind, npm):
# one list, in scripts/system_packages.sh, which installs the missing ones as root on Debian or
# Ubuntu and otherwise stops with the exact apt-get command.
system-packages:
	bash scripts/system_packages.sh

# The whole suite, both twins. pytest's exit status 5 (nothing collected) is a failure here:
# a run that tested nothing is not green.
test: system-packages install ministack migration-envs bench-deps release-tools docs-tools
	FASTCOGNITO_MIGRATION_VENVS=$(abspath $(MIGRATION_VENVS)) $(VENV)/bin/pytest $(PYTEST_ARGS) ; \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; \
	exit $$status

# The peers that run in their own process: PyJWT 2.13 (a directory put first on its PYTHONPATH,
# sharing the venv's cryptography) and aws-jwt-verify (npm ci from benchmarks/node's lockfile).
PYJWT_LEGACY := .bench/pyjwt-2.13
PYJWT_LEGACY_STAMP := $(PYJWT_LEGACY)/.stamp
NODE_STAMP := benchmarks/node/node_modules/.package-lock.json
BENCH_TOOLS_STAMP := $(VENV)/.bench-tools-stamp
BENCH_RESULTS := benchmarks/results

bench-deps: $(PYJWT_LEGACY_STAMP) $(NODE_STAMP)

$(PYJWT_LEGACY_STAMP): requirements/pyjwt-legacy.txt $(DEPS_STAMP)
	rm -rf $(PYJWT_LEGACY)
	$(PIP) install -q --no-deps --target $(PYJWT_LEGACY) -r requirements/pyjwt-legacy.txt
	touch $@

$(NODE_STAMP): benchmarks/node/package.json benchmarks/node/package-lock.json
	cd benchmarks/node && npm ci --no-audit --no-fund --loglevel=error

# granian and matplotlib: only the load test and the chart need them.
bench-tools: $(BENCH_TOOLS_STAMP)

$(BENCH_TOOLS_STAMP): requirements/bench-tools.in $(CONSTRAINTS) $(DEPS_STAMP)
	$(PIP) install -q -c $(CONSTRAINTS) -r requirements/bench-tools.in
	touch $@

# One table of ratios (printed), and pytest-benchmark's JSON with that table, the machine, the
# versions and the date in benchmarks/results/. Timed in CPU time of the process, so that other
# jobs on a shared machine count less. About 2 minutes on 2 cores.
bench: install bench-deps
	$(call run_benchmarks,$(VENV),benchmarks,bench)

# pytest-benchmark in the venv $(1) over $(2), in CPU time, its JSON saved as
# benchmarks/results/$(3)-<date>.json; collecting nothing (exit 5) is a failure.
define run_benchmarks
	mkdir -p $(BENCH_RESULTS)
	$(1)/bin/pytest $(2) --benchmark-columns=min,median,mean,rounds --benchmark-timer=time.process_time \
		--benchmark-json=$(BENCH_RESULTS)/$(3)-$$(date -u +%Y-%m-%dT%H%MZ).json $(PYTEST_ARGS) ; \
	status=$$?; [ $$status -eq 5 ] && { echo "no benchmarks collected"; exit 1; }; exit $$status
endef

# The verify groups again (benchmarks/test_bench_verify.py, both twins, both token sizes) on an
# optimized CPython: built with PGO and LTO, libpython linked into the interpreter, as Debian's and
# Ubuntu's python3 packages, the official Docker images and python.org's and uv's builds are.
# .venv's interpreter is pyenv's default build, with none of these, and runs Python-level code
# about 30% slower: the pure twin's ratios carry that, the compiled twin's hardly. Its own venv,
# made by `make install` with VENV and PYTHON pointing there (the same pins, the extension built);
# results in benchmarks/results/optimized-python-<date>.json. About 1 minute (2 more the first
# time). OPTIMIZED_PYTHON names another interpreter.
OPTIMIZED_PYTHON ?= /usr/bin/python3.11
OPTIMIZED_VENV ?= .venv-optimized

bench-optimized:
	@$(OPTIMIZED_PYTHON) -c "import os, sys, sysconfig, venv; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" 2>/dev/null \
		|| { echo "$(OPTIMIZED_PYTHON) with venv and its C headers is needed: apt-get install -y python3.11-venv python3.11-dev (or OPTIMIZED_PYTHON=another)"; exit 1; }
	$(MAKE) install VENV=$(OPTIMIZED_VENV) PYTHON=$(OPTIMIZED_PYTHON)
	$(call run_benchmarks,$(OPTIMIZED_VENV),benchmarks/test_bench_verify.py,optimized-python)

# The pure twin's cold verify (1 kB and 5 kB tokens) and its floor against key.verify, on every
# CPython 3.10 to 3.13 found (as nox finds them) and on OPTIMIZED_PYTHON where it exists: what users
# without the wheel get, by interpreter and build. Each runs in a venv of its own under
# .bench/pure-twin holding only the core's dependencies at the pinned versions, importing
# fastcognito from this tree (benchmarks/pure_twin.py). About 15 s an interpreter, 30 more the first
# time; PURE_ARGS="--rounds 200" for tighter figures, "--python EXE" for another interpreter.
# Results in benchmarks/results/pure-twin-<date>.json.
PURE_ARGS ?=
bench-pure: venv
	$(PY) benchmarks/pure_twin.py --json $(BENCH_RESULTS)/pure-twin-$$(date -u +%Y-%m-%dT%H%MZ).json \
		$$(test -x $(OPTIMIZED_PYTHON) && echo --python $(OPTIMIZED_PYTHON)) $(PURE_ARGS)

# A Zipf-distributed stream of requests from 100,000 users whose tokens are refreshed hourly,
# through the default verifier at several cache sizes, both twins: hit rate, mean CPU per request,
# bytes per cache entry (tracemalloc). Genuine RS256 tokens, signed once and kept under
# .bench/population (the first run signs some 140,000: about 2 minutes a core; POPULATION_ARGS=
# "--jobs 2" uses two). Then about 10 minutes. Results in benchmarks/results/population-*.json;
# `make test` runs a tiny population (tests/bench/test_population.py).
POPULATION_ARGS ?=
bench-population: install
	$(PY) benchmarks/population.py --out $(BENCH_RESULTS) $(POPULATION_ARGS)

# Differential fuzzing of the twins (tests/fuzz/) for FUZZ_SECONDS: new inputs go to
# FUZZ_DIR/corpus, crashes and divergences to FUZZ_DIR/crash-*. `make test` runs a 60 s slice.
FUZZ_SECONDS ?= 600
FUZZ_DIR ?= build/fuzz
fuzz: install
	mkdir -p $(FUZZ_DIR)/corpus
	cd $(FUZZ_DIR) && $(CURDIR)/$(PY) $(CURDIR)/tests/fuzz/fuzz_verify.py -max_total_time=$(FUZZ_SECONDS) \
	  -timeout=20 -rss_limit_mb=2048 -artifact_prefix=$(abspath $(FUZZ_DIR))/ \
	  $(abspath $(FUZZ_DIR))/corpus $(CURDIR)/tests/fuzz/corpus

# Threads, a small cache, expiring tokens and a rotating, sometimes failing JWKS on 127.0.0.1,
# counting wrong answers and fetches; then a million mixed verifies with RSS and tracemalloc
# required flat after a warm-up. Both twins. `make test` runs a 10 s soak per twin.
SOAK_SECONDS ?= 120
LEAK_VERIFIES ?= 1000000
soak: install
	for twin in c py; do \
	  $(PY) tests/soak/soak.py soak --twin $$twin --seconds $(SOAK_SECONDS) --threads 16 || exit 1; \
	done
	for twin in c py; do \
	  $(PY) tests/soak/soak.py leak --twin $$twin --verifies $(LEAK_VERIFIES) || exit 1; \
	done

# The compiled twin built with AddressSanitizer and UBSan (gcc; Debian's gcc ships libasan and
# libubsan) into build/asan, then the hot-path tests and the fuzz corpus run against it.
# PYTHONMALLOC=malloc: objects freed into pymalloc's arenas would hide a use-after-free.
ASAN_CC ?= gcc
ASAN_DIR ?= build/asan
ASAN_TESTS ?= tests/core/test_verify_malformed.py tests/core/test_cache.py tests/core/test_verify_claims.py \
  tests/core/test_claims.py tests/core/test_verify_twin_parity.py tests/core/test_jwks.py \
  tests/fuzz/test_fuzz_corpus.py
test-asan: install
	$(PY) tests/sanitizers/build_extension.py $(ASAN_DIR) --cc $(ASAN_CC) \
	  --cflags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  --ldflags="-fsanitize=address,undefined"
	export PYTHONPATH=$(abspath $(ASAN_DIR)) PYTHONMALLOC=malloc \
	  LD_PRELOAD="$$($(ASAN_CC) -print-file-name=libasan.so) $$($(ASAN_CC) -print-file-name=libubsan.so)" \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1; \
	cd tests && ../$(PY) -c "import sys, fastcognito._verify as v; sys.exit(0 if v.__file__.startswith('$(abspath $(ASAN_DIR))') else 'not the sanitized build: ' + v.__file__)" && cd .. && \
	$(VENV)/bin/pytest --capture=sys -p no:faulthandler $(ASAN_TESTS) && \
	$(PY) tests/fuzz/differential.py tests/fuzz/corpus $$(test -d build/fuzz/corpus && echo build/fuzz/corpus)

# Two saved runs side by side, ratios first: `make bench-compare` takes the last two,
# `make bench-compare A=path B=path` any two.
bench-compare: $(DEPS_STAMP)
	$(PY) benchmarks/compare.py $(A) $(B)

# aws-jwt-verify alone, against Node's raw crypto.verify (the same row `make bench` prints).
bench-node: install bench-deps
	$(VENV)/bin/pytest benchmarks/test_bench_peers.py -k aws_jwt_verify -q $(PYTEST_ARGS)

# The example project under gunicorn (sync, gthread) and granian on 127.0.0.1, loaded by wrk;
# every run bounded (BENCH_E2E_SECONDS, at most 30). Results in benchmarks/results/e2e-*.json.
# Then bench-e2e-instructions: the same requests counted in the whole gunicorn worker.
BENCH_E2E_SECONDS ?= 5
bench-e2e: install bench-tools
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 1; }
	$(PY) benchmarks/e2e/run.py --seconds $(BENCH_E2E_SECONDS) --out $(BENCH_RESULTS)
	$(MAKE) --no-print-directory bench-e2e-instructions

# The two-host rehearsal (docs/deployment.md): two gunicorn hosts and a uvicorn instance
# of the example project sharing one Redis, then Memcached, on 127.0.0.1; password sign-in through
# ministack; the cache stopped 10 s under load; the cached-token path with the denylist off and on
# (wrk). Bounded (about 7 minutes; --max-seconds stops it): results in benchmarks/results/scale-*.json.
# `make test` runs a 40 s slice (tests/bench/test_e2e_scale.py). SCALE_ARGS="--backends redis" narrows it.
SCALE_ARGS ?=
scale: install ministack system-packages
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 1; }
	$(PY) benchmarks/e2e/scale.py --out $(BENCH_RESULTS) $(SCALE_ARGS)

# Instructions per request of the whole gunicorn sync worker, by callgrind (valgrind; about 5
# minutes): the end-to-end comparison a shared machine does not blur.
bench-e2e-instructions: install bench-tools
	$(PY) benchmarks/e2e/server_instructions.py --out $(BENCH_RESULTS) $(BENCH_E2E_INSTRUCTIONS_ARGS)

# docs/benchmarks.png and the tables of docs/benchmarks.md from saved JSON (no benchmark runs): the newest
# runs, or BENCH_JSON=... / E2E_JSON=... / E2E_INSTRUCTIONS_JSON=... / POPULATION_JSON=...
# (docs/benchmarks.md names the files it shows).
BENCH_JSON ?=
E2E_JSON ?=
E2E_INSTRUCTIONS_JSON ?=
POPULATION_JSON ?=
bench-chart: bench-tools
	$(PY) benchmarks/chart.py --results $(BENCH_RESULTS) --out docs/benchmarks.png --markdown \
		$(if $(BENCH_JSON),--bench $(BENCH_JSON)) $(if $(E2E_JSON),--e2e $(E2E_JSON)) \
		$(if $(E2E_INSTRUCTIONS_JSON),--e2e-instructions $(E2E_INSTRUCTIONS_JSON)) \
		$(if $(POPULATION_JSON),--population $(POPULATION_JSON))

# Instructions per verify and per request, counted by callgrind (needs the Debian package
# valgrind): steady where timings on a shared machine are not. Not part of `make test`.
bench-instructions: install
	$(PY) benchmarks/instructions.py $(BENCH_INSTRUCTIONS_ARGS)

demo: install ministack
	$(PY) examples/demo.py

# A Cognito of your own on 127.0.0.1 for your project's sign-in (docs/sign-in.md, "Run sign-in
# locally"): ministack with a pool, an app client and a user, the FASTCOGNITO settings to paste
# printed; it runs until Ctrl-C, and at most SIGNIN_LOCAL_MINUTES.
SIGNIN_LOCAL_MINUTES ?= 60
signin-local: install ministack
	SIGNIN_LOCAL_MINUTES=$(SIGNIN_LOCAL_MINUTES) $(PY) examples/signin_local.py $(SIGNIN_LOCAL_ARGS)

# MkDocs with Material and mkdocstrings (requirements/docs.in): `make docs` builds the site from
# docs/ into build/site, with every warning an error; `make test` builds it too
# (tests/release/test_docs_site.py), and Read the Docs runs the same build (.readthedocs.yaml).
docs-tools: $(DOCS_TOOLS_STAMP) docs-js

# Mermaid, which draws the sign-in sequence diagrams in the reader's browser, served by the site
# itself instead of Material's default CDN: the site works offline and runs no third-party script.
# One file of the npm package, checked against its pinned SHA-256; not in git, not in the sdist.
MERMAID_VERSION := 11.17.2
MERMAID_SHA256 := 581ed7d74bd9048d0e3a91363927d72ef22942d7722546b27f7cc29e35390eb8
MERMAID_JS := docs/javascripts/mermaid.min.js
docs-js: $(MERMAID_JS)

$(MERMAID_JS):
	rm -rf build/mermaid && mkdir -p build/mermaid $(@D)
	cd build/mermaid && npm pack --silent mermaid@$(MERMAID_VERSION) > /dev/null \
	  && tar xzf mermaid-$(MERMAID_VERSION).tgz package/dist/mermaid.min.js
	echo "$(MERMAID_SHA256)  build/mermaid/package/dist/mermaid.min.js" | sha256sum -c --quiet
	cp build/mermaid/package/dist/mermaid.min.js $@

$(DOCS_TOOLS_STAMP): $(DEPS_STAMP) requirements/docs.in $(CONSTRAINTS)
	$(PIP) install -q -c $(CONSTRAINTS) -r requirements/docs.in
	touch $@

# NO_MKDOCS_2_WARNING: Material's start-up banner about MkDocs 2.0 (mkdocs is pinned to 1.x here).
DOCS_SITE ?= build/site
docs: docs-tools
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir $(DOCS_SITE)

# The release checks' tools (twine, check-wheel-contents, auditwheel, nox, uv): `make test` runs the
# release slice (tests/release/test_release.py) and the matrix's floor (tests/release/test_matrix_floor.py)
# with them.
release-tools: $(RELEASE_TOOLS_STAMP)

$(RELEASE_TOOLS_STAMP): $(DEPS_STAMP) requirements/release.in $(CONSTRAINTS)
	$(PIP) install -q -c $(CONSTRAINTS) -r requirements/release.in
	touch $@

# Only the release slice, the changelog and the floor (about 2 minutes on 2 cores): what a tag needs.
release-check: install release-tools
	$(VENV)/bin/pytest tests/release/test_release.py tests/release/test_changelog.py \
		tests/release/test_matrix_floor.py $(PYTEST_ARGS)

# zig, for the manylinux wheels of `make wheels`, on top of the release checks' tools.
$(WHEEL_TOOLS_STAMP): $(RELEASE_TOOLS_STAMP) requirements/wheels.in $(CONSTRAINTS)
	$(PIP) install -q -c $(CONSTRAINTS) -r requirements/wheels.in
	touch $@

# The sdist, then a manylinux_2_17_x86_64 wheel per CPython 3.10-3.13 found (PATH, then pyenv),
# compiled with zig for glibc 2.17 and checked by auditwheel, check-wheel-contents and twine
# (scripts/release_checks.py, the checks `make test` runs on one wheel). FASTCOGNITO_PYTHONS="3.10 3.13"
# narrows the list.
wheels: $(WHEEL_TOOLS_STAMP)
	$(PY) scripts/build_wheels.py

# Each wheel of dist/ in a fresh venv of its own Python: cibuildwheel's test command against it.
test-wheels: $(WHEEL_TOOLS_STAMP)
	$(PY) scripts/test_wheels.py

# The suite on every CPython 3.10-3.13 found x Django 4.2 LTS, 5.2 LTS and the newest (noxfile.py).
test-all: $(WHEEL_TOOLS_STAMP) ministack
	$(VENV)/bin/nox $(NOX_ARGS)

typecheck: $(DEPS_STAMP)
	$(VENV)/bin/mypy

# docs/settings.md from the settings schema (fastcognito/django/conf.py), after changing it:
# every key, default, environment variable and check id. tests/django/test_settings_doc.py fails
# while the two differ.
settings-doc: $(DEPS_STAMP)
	$(PY) scripts/settings_doc.py

# Re-pin every tool after editing requirements/*.in.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q -r requirements/test.in -r requirements/bench.in -r requirements/bench-tools.in \
	  -r requirements/wheels.in -r requirements/docs.in
	{ echo "# Generated by 'make lock' from requirements/*.in; every install goes through it."; \
	  .lock-venv/bin/pip freeze --all | grep -v '^fastcognito'; } > $(CONSTRAINTS)
	rm -rf .lock-venv

clean:
	rm -rf build dist .nox *.egg-info fastcognito/_verify.c fastcognito/*.so
