"""Builds the optional Cython extension; everything else is in pyproject.toml.

FASTCOGNITO_NO_EXTENSIONS=1 (or a non-CPython interpreter) builds a pure-Python wheel.

An sdist must install anywhere, so when the extension cannot be built (no C compiler, a compile
error, no Cython) the build warns and falls back to the pure-Python twin, as multidict and yarl
do. A packager who would rather see the failure sets FASTCOGNITO_REQUIRE_EXTENSIONS=1.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

NO_EXTENSIONS_VARIABLE = "FASTCOGNITO_NO_EXTENSIONS"
REQUIRE_EXTENSIONS_VARIABLE = "FASTCOGNITO_REQUIRE_EXTENSIONS"


def flag(name):
    return os.environ.get(name, "") not in ("", "0")


NO_EXTENSIONS = flag(NO_EXTENSIONS_VARIABLE) or sys.implementation.name != "cpython"
REQUIRE_EXTENSIONS = flag(REQUIRE_EXTENSIONS_VARIABLE)


class ExtensionBuildFailed(Exception):
    pass


class build_ext_or_fail_loudly(build_ext):
    """Turns every way a compile can fail into one exception the fallback below recognises."""

    def run(self):
        try:
            super().run()
        except Exception as err:
            raise ExtensionBuildFailed(err) from err

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as err:
            raise ExtensionBuildFailed(err) from err


def warn_pure_fallback(reason):
    banner = "*" * 75
    sys.stderr.write(
        f"\n{banner}\n"
        "WARNING: fastcognito's C extension could not be built:\n"
        f"    {reason}\n"
        "Installing the pure-Python twin instead: the same behaviour, several times slower.\n"
        f"Set {NO_EXTENSIONS_VARIABLE}=1 to choose the pure build and silence this warning, or\n"
        f"{REQUIRE_EXTENSIONS_VARIABLE}=1 to make this failure fatal.\n"
        f"{banner}\n\n"
    )


def cythonized_extensions():
    from Cython.Build import cythonize

    return cythonize(
        [Extension("fastcognito._verify", ["fastcognito/_verify.pyx"])],
        # Directives that trade safety for speed sit at the top of the .pyx, next to the code
        # that relies on them.
        # binding: methods are cyfunctions, so inspect.signature() reads them like the pure twin's.
        # freethreading_compatible False (the default, said out loud): the claims cache relies on
        # the GIL, so a free-threaded CPython turns the GIL back on when it loads the module.
        compiler_directives={
            "language_level": "3",
            "embedsignature": True,
            "binding": True,
            "freethreading_compatible": False,
        },
    )


def main():
    if NO_EXTENSIONS:
        setup()
        return
    try:
        ext_modules = cythonized_extensions()
        setup(ext_modules=ext_modules, cmdclass={"build_ext": build_ext_or_fail_loudly})
    except Exception as err:
        # Cython missing (ImportError) or rejecting the source (its CompileError), or the C
        # compiler failing (ExtensionBuildFailed). setuptools turns its own errors into SystemExit,
        # which passes through: a broken pyproject.toml must not look like a missing compiler.
        if REQUIRE_EXTENSIONS:
            raise
        cause = err.__cause__ if isinstance(err, ExtensionBuildFailed) and err.__cause__ else err
        warn_pure_fallback(f"{type(cause).__name__}: {cause}")
        setup()


main()
