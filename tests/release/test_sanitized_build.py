"""The compiled twin built with ``-ftrapv``: signed overflow aborts instead of wrapping.

``_fast_scalar`` once computed ``value * 10 + d`` before checking its 18-digit cap, so any
number of 20 or more digits overflowed a ``long long`` (undefined behaviour; with several pools
the payload is read before the signature, so nobody needs a key to reach it). Built with
``-ftrapv``, that overflow is a SIGABRT; this test feeds such numbers to that build.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from tests.sanitizers.build_extension import build

pytestmark = pytest.mark.slow

OVERFLOW_PROBE = textwrap.dedent(
    """
    import base64, json, sys
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    import fastcognito
    from fastcognito import CognitoVerifier, FastCognitoError, UserPool, _verify, _verify_py

    assert _verify.__file__.startswith(sys.argv[1]), _verify.__file__

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": "k", "alg": "RS256", "n": b64(numbers.n.to_bytes(256, "big")),
           "e": b64(numbers.e.to_bytes(3, "big"))}
    pool, other = "eu-west-1_Pool1", "eu-west-1_Pool2"
    issuer = f"https://cognito-idp.eu-west-1.amazonaws.com/{pool}"
    now = 1_700_000_000

    def token(payload, signed=True):
        signing_input = b64(b'{"kid":"k","alg":"RS256"}') + "." + b64(payload.encode())
        signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()) if signed else b"x" * 256
        return signing_input + "." + b64(signature)

    def outcome(verifier, text):
        try:
            return ("ok", verifier.verify(text).to_dict())
        except FastCognitoError as err:
            return (type(err).__name__, str(err))

    def verifiers(module):
        common = dict(client_id=None, token_use=None, clock=lambda: now, _impl_module=module)
        return [
            CognitoVerifier(pool, jwks={"keys": [jwk]}, **common),
            # Several pools: the payload is parsed before the signature is checked.
            CognitoVerifier([UserPool(pool, jwks={"keys": [jwk]}), UserPool(other, jwks={"keys": [jwk]})], **common),
        ]

    compiled, pure = verifiers(_verify), verifiers(_verify_py)
    numbers_text = ["9" * 18, "9" * 19, "9" * 20, "1" + "0" * 19, "9223372036854775807", "9223372036854775808",
                    "18446744073709551616", "9" * 25, "9" * 400]
    checked = 0
    for digits in numbers_text:
        for sign in ("", "-"):
            number = sign + digits
            for payload in (
                f'{{"iss":"{issuer}","token_use":"access","exp":{now + 60},"iat":{now},"n":{number}}}',
                f'{{"iss":"{issuer}","token_use":"access","exp":{now + 60},"iat":{now},"a":[1,{number}]}}',
                f'{{"iss":"{issuer}","token_use":"access","exp":{number},"iat":{now}}}',
                f'{{"iss":"{issuer}","token_use":"access","exp":{now + 60},"iat":{number}}}',
            ):
                for signed in (True, False):
                    text = token(payload, signed)
                    for c, p in zip(compiled, pure):
                        got, want = outcome(c, text), outcome(p, text)
                        assert got == want, (payload, got, want)
                        checked += 1
    print(checked)
    """
)

TRAP_CHECK = textwrap.dedent(
    """
    #include <limits.h>
    int main(void) {
        volatile long long value = LLONG_MAX / 10 + 1;
        volatile int digit = 9;
        value = value * 10 + digit;
        return value == 0;
    }
    """
)


def test_numbers_of_any_length_never_overflow_a_trapping_build(tmp_path: Path) -> None:
    compiler = os.environ.get("CC") or sysconfig.get_config_var("CC").split()[0]
    flags = ["-O1", "-ftrapv"]
    # First, that this compiler traps at all: the same arithmetic in a tiny program must abort.
    (tmp_path / "trap.c").write_text(TRAP_CHECK)
    subprocess.run([compiler, *flags, str(tmp_path / "trap.c"), "-o", str(tmp_path / "trap")], check=True)
    trapped = subprocess.run([str(tmp_path / "trap")], check=False)
    assert trapped.returncode == -signal.SIGABRT, "this compiler does not honour -ftrapv"

    build(tmp_path, flags, cc=compiler)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("FASTCOGNITO_NO_EXTENSIONS", None)
    result = subprocess.run(
        [sys.executable, "-c", OVERFLOW_PROBE, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-3000:]}"
    assert int(result.stdout.split()[-1]) == 9 * 2 * 4 * 2 * 2
