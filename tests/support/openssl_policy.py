"""A real OpenSSL that cannot make the RS256 check: a configuration that asks for FIPS-approved
algorithms (``default_properties = fips=yes``) on a host with no FIPS provider, as a container
that inherits a FIPS host's ``openssl.cnf`` does. Every RSA operation then fails inside
cryptography (``InternalError``) and hashlib's SHA-256 too; both OpenSSLs here (cryptography's own
and Python's) read ``OPENSSL_CONF`` when a process starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FIPS_WITHOUT_PROVIDER = """\
openssl_conf = openssl_init

[openssl_init]
alg_section = evp_properties

[evp_properties]
default_properties = fips=yes
"""


def refusing_openssl_env(directory: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (else this process's environment) with ``OPENSSL_CONF`` naming that configuration,
    written into ``directory``."""
    path = directory / "openssl-fips-without-provider.cnf"
    path.write_text(FIPS_WITHOUT_PROVIDER, encoding="ascii")
    return {**(os.environ if env is None else env), "OPENSSL_CONF": str(path)}


def run_with_and_without(
    args: list[str], directory: Path
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """``python *args`` in ``directory`` (so the installed fastcognito is imported), once under
    that configuration and once without ``OPENSSL_CONF``: the same interpreter, only the policy
    differs."""
    refusing = refusing_openssl_env(directory)
    clean = {key: value for key, value in refusing.items() if key != "OPENSSL_CONF"}
    return tuple(  # type: ignore[return-value]
        subprocess.run(
            [sys.executable, *args], env=env, cwd=directory, capture_output=True, text=True, timeout=60
        )
        for env in (refusing, clean)
    )
