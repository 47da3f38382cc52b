"""Build the compiled twin with extra compiler flags, into a directory of its own.

The copy of the package there is imported instead of the installed one by putting the directory
first on ``sys.path`` (``PYTHONPATH``). Used by the ``-ftrapv`` test and by ``make test-asan``::

    python tests/sanitizers/build_extension.py OUT_DIR --cflags="-fsanitize=address,undefined"
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The directives of setup.py: the test build must be the same code as the shipped one.
CYTHON_DIRECTIVES = "language_level=3,embedsignature=True,binding=True"


def build(out: Path, cflags: list[str], ldflags: tuple[str, ...] | list[str] = (), cc: str | None = None) -> Path:
    """Copy the package into ``out`` and compile ``_verify`` there; return the package copy."""
    package = out / "fastcognito"
    if package.exists():
        shutil.rmtree(package)
    shutil.copytree(
        REPO / "fastcognito", package, ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__", "*.pyd")
    )
    source = package / "_verify.c"
    subprocess.run(
        [sys.executable, "-m", "cython", "-X", CYTHON_DIRECTIVES, str(package / "_verify.pyx"), "-o", str(source)],
        check=True,
    )
    compiler = cc or os.environ.get("CC") or sysconfig.get_config_var("CC").split()[0]
    target = package / ("_verify" + sysconfig.get_config_var("EXT_SUFFIX"))
    command = [
        compiler,
        "-shared",
        "-fPIC",
        *cflags,
        f"-I{sysconfig.get_paths()['include']}",
        str(source),
        "-o",
        str(target),
        *ldflags,
    ]
    subprocess.run(command, check=True)
    return package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--cflags", default="-O1 -g")
    parser.add_argument("--ldflags", default="")
    parser.add_argument("--cc", default=None)
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    package = build(options.out, shlex.split(options.cflags), shlex.split(options.ldflags), options.cc)
    print(package)


if __name__ == "__main__":
    main()
