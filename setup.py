"""Builds the optional Cython extension; everything else is in pyproject.toml.

FASTCOGNITO_NO_EXTENSIONS=1 (or a non-CPython interpreter) builds a pure-Python wheel.
"""

import os
import sys

from setuptools import Extension, setup

NO_EXTENSIONS = os.environ.get("FASTCOGNITO_NO_EXTENSIONS", "") not in ("", "0") or (
    sys.implementation.name != "cpython"
)

ext_modules = []
if not NO_EXTENSIONS:
    from Cython.Build import cythonize

    ext_modules = cythonize(
        [Extension("fastcognito._verify", ["fastcognito/_verify.pyx"])],
        # Directives that trade safety for speed sit at the top of the .pyx, next to the code
        # that relies on them.
        # binding: methods are cyfunctions, so inspect.signature() reads them like the pure twin's.
        compiler_directives={"language_level": "3", "embedsignature": True, "binding": True},
    )

setup(ext_modules=ext_modules)
