"""Python source for subprocesses that must import fastcognito without its compiled twin."""

from __future__ import annotations

# A finder ahead of every other one that refuses the compiled twin only: the import fails as it
# does from a source checkout that was never built, or with a wheel built for another platform.
REFUSE_THE_EXTENSION = """
import sys

class RefuseTheExtension:
    def find_spec(self, name, path=None, target=None):
        if name == "fastcognito._verify":
            raise ImportError("fastcognito._verify refused by the test")
        return None

sys.meta_path.insert(0, RefuseTheExtension())
"""
