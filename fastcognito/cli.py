"""Tools: ``python -m fastcognito verify|inspect``, for looking at a token from a shell.

``verify`` runs the full verification of ``CognitoVerifier`` and prints the header, the claims and
the verdict. ``inspect`` only decodes, and says so loudly. Neither ever prints the raw token back,
not even in an argument error. No Django import.

Exit status: 0 accepted (or decoded, for ``inspect``), 1 rejected (or undecodable), 2 usage or
configuration error, 3 the signing keys could not be fetched.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from ._impl import b64url_decode
from .exceptions import (
    ClaimError,
    ConfigurationError,
    FastCognitoError,
    JWKSError,
    MalformedTokenError,
    TokenError,
)
from .verifier import CognitoVerifier

__all__ = ["main"]

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_JWKS_UNAVAILABLE = 3

NOT_VERIFIED = "NOTHING WAS VERIFIED: this is the token's own unverified say-so; do not trust it."

# A token pasted where an option was expected must not come back in an error message: anything
# shaped like a JWS compact serialization (RFC 7515 §7.1) is masked.
# shaped like a JWS compact serialization (RFC 7515 §7.1) is masked: a header segment starts with
# "eyJ" (base64url of '{"'); other long three-segment runs are masked too, host names are not.
_TOKEN_SHAPE = re.compile(
    r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|[A-Za-z0-9_-]{32,}\.[A-Za-z0-9_-]{32,}\.[A-Za-z0-9_-]*"
)
_TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")
_MAX_STDIN_CHARS = 1024 * 1024


def _redact(text: str) -> str:
    return _TOKEN_SHAPE.sub("<token>", text)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {_redact(message)}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fastcognito",
        description="Verify or inspect AWS Cognito JWTs.",
        epilog=(
            "exit status:\n"
            "  0  token accepted (verify) or decoded (inspect)\n"
            "  1  token rejected, or not decodable\n"
            "  2  usage or configuration error\n"
            "  3  JWKS unavailable: the signing keys could not be fetched"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{verify,inspect}")

    verify = commands.add_parser(
        "verify",
        help="verify a token as CognitoVerifier does, and show its claims and the verdict",
        description="Verify a token: signature against the pool's JWKS, then every claim.",
    )
    _add_token_argument(verify)
    verify.add_argument("--user-pool-id", required=True, help="e.g. eu-west-1_AbC123xyz")
    verify.add_argument(
        "--client-id",
        action="append",
        required=True,
        metavar="ID",
        help="an allowed app client id; repeat for several; 'none' skips the check on purpose",
    )
    verify.add_argument(
        "--token-use",
        required=True,
        choices=("access", "id", "any"),
        help="the token_use required; 'any' accepts access and id tokens",
    )
    verify.add_argument("--issuer", help="the expected iss (default: Cognito's, from the pool id)")
    keys = verify.add_mutually_exclusive_group()
    keys.add_argument("--jwks-url", help="where to fetch the JWKS (default: {issuer}/.well-known/jwks.json)")
    keys.add_argument("--jwks-file", metavar="FILE", help="a JWKS document to use offline (nothing is fetched)")
    verify.add_argument("--leeway", type=float, default=0.0, metavar="SECONDS", help="clock skew allowed")
    verify.add_argument("--group", action="append", metavar="NAME", help="require one of these groups")
    verify.add_argument("--scope", action="append", metavar="NAME", help="require one of these scopes")
    verify.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    verify.set_defaults(handler=_verify)

    inspect = commands.add_parser(
        "inspect",
        help="decode a token WITHOUT verifying anything",
        description="Decode the header and payload of a token. Nothing is verified.",
    )
    _add_token_argument(inspect)
    inspect.set_defaults(handler=_inspect)
    return parser


def _add_token_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "token",
        nargs="?",
        default="-",
        metavar="TOKEN",
        help="the JWT; '-' or nothing reads it from standard input",
    )


def _read_token(argument: str, stdin: TextIO) -> str:
    text = stdin.read(_MAX_STDIN_CHARS) if argument == "-" else argument
    token = text.strip()
    # A pasted `Authorization` header value is accepted as well.
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if not token:
        raise _UsageError("no token given (pass it as an argument, or on standard input)")
    return token


# --- decoding without verifying -------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # RFC 8259 §6: no NaN or Infinity


def _decode_part(segment: str) -> tuple[Any, str | None]:
    """(decoded JSON, None) or (None, why it could not be decoded)."""
    try:
        raw = b64url_decode(segment)
    except MalformedTokenError as err:
        return None, err.message
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant), None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "not UTF-8 JSON"


def _decode_token(token: str) -> tuple[Any, str | None, Any, str | None]:
    parts = token.split(".")
    if len(parts) != 3:
        why = f"the token has {len(parts)} segment(s), not 3"
        return None, why, None, why
    header, header_error = _decode_part(parts[0])
    payload, payload_error = _decode_part(parts[1])
    return header, header_error, payload, payload_error


def _describe_time(value: object, now: float) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        moment = datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    delta = value - now
    return f"{moment.isoformat(timespec='seconds')} ({_relative(delta)})"


def _relative(delta: float) -> str:
    seconds = abs(int(delta))
    if seconds < 60:
        amount = f"{seconds} s"
    elif seconds < 3600:
        amount = f"{seconds // 60} min"
    elif seconds < 86400:
        amount = f"{seconds // 3600} h {seconds % 3600 // 60} min"
    else:
        amount = f"{seconds // 86400} d"
    return f"in {amount}" if delta >= 0 else f"{amount} ago"


def _times(payload: Any, now: float) -> dict[str, str]:
    if not isinstance(payload, dict):
        return {}
    times = {}
    for name in _TIME_CLAIMS:
        described = _describe_time(payload.get(name), now)
        if described is not None:
            times[name] = described
    return times


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _print_section(out: TextIO, title: str, value: Any, error: str | None) -> None:
    out.write(f"{title}:\n")
    if error is not None:
        out.write(f"  (could not decode: {error})\n")
    else:
        out.write(_dump(value) + "\n")


def _print_times(out: TextIO, times: dict[str, str]) -> None:
    if times:
        out.write("Times (UTC):\n")
        for name, described in times.items():
            out.write(f"  {name}: {described}\n")


# --- commands -------------------------------------------------------------------------------------


def _inspect(args: argparse.Namespace, token: str, out: TextIO, err: TextIO) -> int:
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    err.write(f"WARNING: {NOT_VERIFIED}\n")
    out.write(f"{NOT_VERIFIED}\n")
    header, header_error, payload, payload_error = _decode_token(token)
    _print_section(out, "Header (unverified)", header, header_error)
    _print_section(out, "Payload (unverified)", payload, payload_error)
    _print_times(out, _times(payload, now))
    return EXIT_REJECTED if header_error or payload_error else EXIT_OK


def _verifier_from(args: argparse.Namespace) -> CognitoVerifier:
    client_ids: list[str] | None = args.client_id
    if client_ids is not None and any(client.lower() == "none" for client in client_ids):
        if len(client_ids) > 1:
            raise ConfigurationError("--client-id none cannot be combined with client ids")
        client_ids = None
    jwks = None
    if args.jwks_file is not None:
        try:
            with open(args.jwks_file, encoding="utf-8") as file:
                jwks = json.load(file)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise ConfigurationError(f"cannot read the JWKS file {args.jwks_file!r}: {error}") from error
        if not isinstance(jwks, dict):
            raise ConfigurationError(f"the JWKS file {args.jwks_file!r} does not hold a JSON object")
    return CognitoVerifier(
        args.user_pool_id,
        client_id=client_ids,
        token_use=None if args.token_use == "any" else args.token_use,
        issuer=args.issuer,
        jwks_url=args.jwks_url,
        jwks=jwks,
        leeway=args.leeway,
        groups=args.group,
        scopes=args.scope,
        cache_size=0,
    )


def _reason(error: FastCognitoError) -> str:
    reason = error.message
    if isinstance(error, ClaimError) and error.claim is not None:
        reason += f" (claim {error.claim!r}: got {error.actual!r}, expected {error.expected!r})"
    return reason  # messages and claim values never hold the token (DESIGN.md §3)


def _verify(args: argparse.Namespace, token: str, out: TextIO, err: TextIO) -> int:
    verifier = _verifier_from(args)  # ConfigurationError: exit 2, before anything is fetched
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    error: FastCognitoError | None = None
    try:
        verifier.verify(token)
    except (TokenError, JWKSError) as caught:
        error = caught
    header, header_error, payload, payload_error = _decode_token(token)
    if error is None:
        status, verdict = EXIT_OK, "OK"
    elif isinstance(error, JWKSError):
        status, verdict = EXIT_JWKS_UNAVAILABLE, f"JWKS UNAVAILABLE ({error.code}): {_reason(error)}"
    else:
        status, verdict = EXIT_REJECTED, f"REJECTED ({error.code}): {_reason(error)}"
    verified = error is None
    if args.json:
        document: dict[str, Any] = {
            "verified": verified,
            "verdict": "ok" if verified else "jwks_unavailable" if status == EXIT_JWKS_UNAVAILABLE else "rejected",
            "code": None if error is None else error.code,
            "reason": None if error is None else _reason(error),
            "header": header,
            "claims": payload,
            "times": _times(payload, now),
        }
        if isinstance(error, ClaimError):
            document["claim"] = error.claim
        out.write(_dump(document) + "\n")
    else:
        label = "verified" if verified else "NOT verified"
        _print_section(out, f"Header ({label})", header, header_error)
        _print_section(out, f"Claims ({label})", payload, payload_error)
        _print_times(out, _times(payload, now))
        out.write(f"Verdict: {verdict}\n")
    if not verified:
        err.write(f"fastcognito: {verdict}\n")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        token = _read_token(args.token, sys.stdin)
        return int(args.handler(args, token, out, err))
    except _UsageError as error:
        err.write(f"fastcognito: error: {error}\n")
        return EXIT_USAGE
    except ConfigurationError as error:
        err.write(f"fastcognito: configuration error: {_redact(error.message)}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
