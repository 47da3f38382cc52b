"""Fixed vectors that prove, once per process, that the installed cryptography and hashlib make
the checks the verifiers make.

A verifier relies on OpenSSL operations that a policy can refuse: a FIPS policy, or an
``OPENSSL_CONF`` that asks for a provider the host does not have (every RSA and EC operation then
fails). Refused per token, they would raise exceptions no verifier expects; found here, they are a
``ConfigurationError`` at construction, and a start-up error under Django.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ._impl import exception_line

# The longest reason kept: an exception's type and message from cryptography or hashlib (never a
# token). OpenSSL's own error comes last in cryptography's InternalError, after some 300 characters.
FAULT_MAX_CHARS = 1000


def describe(step: str, err: Exception) -> str:
    """``"<step>: <type>: <message>"`` on one line, at most ``FAULT_MAX_CHARS`` long."""
    return f"{step}: {exception_line(err, FAULT_MAX_CHARS - len(step) - 2)}"


def crypto_versions() -> str:
    """cryptography's version and OpenSSL, and the OpenSSL of Python's hashlib."""
    import ssl

    import cryptography
    from cryptography.hazmat.backends.openssl.backend import backend

    return (
        f"cryptography {cryptography.__version__} ({backend.openssl_version_text()}) and hashlib "
        f"({ssl.OPENSSL_VERSION})"
    )


class VectorCheck:
    """One fixed vector: ``run()`` returns None when the check passes, else why not (on one line,
    naming the step); it runs once per process, at the first ``fault()``."""

    def __init__(self, name: str, run: Callable[[], str | None]) -> None:
        self.name = name
        self.run = run
        self._lock = threading.Lock()
        self._result: list[str | None] = []  # empty until the vector has run

    def fault(self) -> str | None:
        if not self._result:
            with self._lock:
                if not self._result:
                    self._result.append(self.run())
        return self._result[0]

    def message(self, fault: str) -> str:
        """What a verifier says when ``fault()`` found ``fault``."""
        return (
            f"{crypto_versions()} cannot make the {self.name} check fastcognito makes, so no token "
            f"could be verified: {fault}. The OpenSSL policy of this host must allow it: look at "
            "OPENSSL_CONF (docs/install.md)"
        )
