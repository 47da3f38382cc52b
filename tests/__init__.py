"""fastcognito's test suite: one directory per part of the package, each file named after the
module it tests.

- ``core/``: the framework-free package (``fastcognito/*.py``, the ``_verify`` twins);
- ``django/`` and ``django/users/``: ``fastcognito/django/`` and its replica; ``drf/``:
  ``fastcognito/drf/``;
- ``package/``: the package as a whole, read from its source (import graph, public surface, types,
  and this layout: ``package/test_test_layout.py``);
- ``release/``: what a release needs (the extension build, sdist and wheels, the changelog, the
  matrix's floor, the workflows, the docs site, a sanitized build); ``bench/``: the benchmarks
  still run; ``examples/``: the example project as users run it;
- ``security/``, ``fuzz/``, ``soak/``, ``sanitizers/``: the security review's attacks, and the long
  runs the Makefile also runs on their own.

Helpers are modules of ``tests.support`` (``tests.support.django`` for Django's), imported like any
other; fixtures are in the ``conftest.py`` files. pytest imports ``tests`` as a package with
``--import-mode=append`` (pyproject.toml), so ``fastcognito`` stays the installed build.
"""
