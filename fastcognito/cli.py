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
import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn, TextIO

from . import __version__
from ._impl import b64url_decode
from ._validate import ENVIRONMENT, environment_value, json_object
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
# The bounds of time checks, as the verifier writes them: "> 1795678970.71835".
_BOUND = re.compile(r"^\s*(<=|>=|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")
_BOUND_WORDS = {">": "after", ">=": "at or after", "<": "before", "<=": "at or before"}

# Defaults of `verify` from the environment: the variables the Django settings read (one table,
# in _validate), by option. The first one set wins.
ENVIRONMENT_DEFAULTS: dict[str, tuple[str, ...]] = {
    option: ENVIRONMENT[option.upper()]
    for option in ("user_pool_id", "region", "client_id", "issuer", "jwks_url")
}


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
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{verify,inspect}")

    verify = commands.add_parser(
        "verify",
        help="verify a token as CognitoVerifier does, and show its claims and the verdict",
        description="Verify a token: signature against the pool's JWKS, then every claim.",
        epilog=(
            "environment: options left out are taken from AWS_COGNITO_USER_POOL_ID, AWS_COGNITO_REGION,\n"
            "AWS_COGNITO_APP_CLIENT_ID (or APP_CLIENT_ID), AWS_COGNITO_ISSUER and AWS_COGNITO_JWKS_URL"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_token_argument(verify)
    verify.add_argument(
        "--user-pool-id", help="e.g. eu-west-1_AbC123xyz (required; default: $AWS_COGNITO_USER_POOL_ID)"
    )
    verify.add_argument(
        "--region", help="only to be explicit: must match the pool id (default: $AWS_COGNITO_REGION)"
    )
    verify.add_argument(
        "--client-id",
        action="append",
        metavar="ID",
        help="an allowed app client id; repeat for several; 'none' skips the check on purpose "
        "(required; default: $AWS_COGNITO_APP_CLIENT_ID or $APP_CLIENT_ID)",
    )
    verify.add_argument(
        "--token-use",
        required=True,
        choices=("access", "id", "any"),
        help="the token_use required; 'any' accepts access and id tokens",
    )
    verify.add_argument(
        "--issuer", help="the expected iss (default: $AWS_COGNITO_ISSUER, else Cognito's, from the pool id)"
    )
    keys = verify.add_mutually_exclusive_group()
    keys.add_argument(
        "--jwks-url",
        help="where to fetch the JWKS (default: $AWS_COGNITO_JWKS_URL, else {issuer}/.well-known/jwks.json)",
    )
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
    inspect.add_argument("--json", action="store_true", help="print one JSON object instead of text")
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


class _Decoded:
    """What can be read from a token without any key, and the first reason it is malformed.

    The steps and the messages are the verifier's, in its order (segments, payload and signature
    base64url, header, payload JSON), so a malformed token has one reason, the one ``verify``
    gives too. Whatever was decoded before that step is still shown.
    """

    def __init__(self, token: str) -> None:
        self.header: dict[str, Any] | None = None
        self.payload: dict[str, Any] | None = None
        self.reason: str | None = None
        try:
            self._decode(token)
        except MalformedTokenError as err:
            self.reason = err.message

    def _decode(self, token: str) -> None:
        parts = token.split(".")
        if len(parts) != 3:
            raise MalformedTokenError("the token does not have exactly three segments")
        if not all(parts):
            raise MalformedTokenError("the token has an empty segment")
        header_segment, payload_segment, signature_segment = parts
        payload = b64url_decode(payload_segment)
        b64url_decode(signature_segment)
        self.header = json_object(b64url_decode(header_segment), "header")
        self.payload = json_object(payload, "payload")


def _utc(value: float) -> str | None:
    try:
        moment = datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="seconds")


def _describe_time(value: object, now: float) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    moment = _utc(value)
    if moment is None:
        return None
    return f"{moment} ({_relative(value - now)})"


def _relative(delta: float) -> str:
    seconds = abs(round(delta))
    if seconds == 0:
        return "now"
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


def _print_section(out: TextIO, title: str, value: Any) -> None:
    out.write(f"{title}:\n")
    out.write("  (not decodable: see the reason below)\n" if value is None else _dump(value) + "\n")


def _print_times(out: TextIO, times: dict[str, str]) -> None:
    if times:
        out.write("Times (UTC):\n")
        for name, described in times.items():
            out.write(f"  {name}: {described}\n")


# --- commands -------------------------------------------------------------------------------------


def _inspect(args: argparse.Namespace, token: str, out: TextIO, err: TextIO) -> int:
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    err.write(f"WARNING: {NOT_VERIFIED}\n")
    decoded = _Decoded(token)
    status = EXIT_REJECTED if decoded.reason is not None else EXIT_OK
    if args.json:
        document = {
            "verified": False,
            "warning": NOT_VERIFIED,
            "decoded": decoded.reason is None,
            "code": None if decoded.reason is None else MalformedTokenError.code,
            "reason": decoded.reason,
            "header": decoded.header,
            "claims": decoded.payload,
            "times": _times(decoded.payload, now),
        }
        out.write(_dump(document) + "\n")
        return status
    out.write(f"{NOT_VERIFIED}\n")
    _print_section(out, "Header (unverified)", decoded.header)
    _print_section(out, "Payload (unverified)", decoded.payload)
    _print_times(out, _times(decoded.payload, now))
    if decoded.reason is not None:
        out.write(f"Malformed ({MalformedTokenError.code}): {decoded.reason}\n")
    return status


def _from_environment(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Fill the options left out from the environment; name both when a required one is missing."""
    for option in ENVIRONMENT_DEFAULTS:
        if getattr(args, option) is not None:
            continue
        if option == "jwks_url" and args.jwks_file is not None:
            continue  # an explicit offline JWKS wins over a URL from the environment
        found = environment_value(option.upper(), environ)
        if found is not None:
            setattr(args, option, [found[1]] if option == "client_id" else found[1])
    for option in ("user_pool_id", "client_id"):
        if getattr(args, option) is None:
            flag = "--" + option.replace("_", "-")
            raise _UsageError(f"{flag} is required (or set {' or '.join(ENVIRONMENT_DEFAULTS[option])})")


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
        region=args.region,
        issuer=args.issuer,
        jwks_url=args.jwks_url,
        jwks=jwks,
        leeway=args.leeway,
        groups=args.group,
        scopes=args.scope,
        cache_size=0,
    )


def _describe_bound(expected: object, now: float) -> str | None:
    """``"> 1795678970.7"`` as ``after 2026-11-26T09:02:50+00:00 (now)``."""
    match = _BOUND.match(expected) if isinstance(expected, str) else None
    if match is None:
        return None
    described = _describe_time(float(match.group(2)), now)
    return None if described is None else f"{_BOUND_WORDS[match.group(1)]} {described}"


def _reason(error: FastCognitoError, now: float) -> str:
    reason = error.message
    if isinstance(error, ClaimError) and error.claim is not None:
        actual, expected = repr(error.actual), repr(error.expected)
        if error.claim in _TIME_CLAIMS:
            # Epochs mean nothing to a reader: dates, and how far they are from now.
            actual = _describe_time(error.actual, now) or actual
            expected = _describe_bound(error.expected, now) or expected
        reason += f" (claim {error.claim!r}: got {actual}, expected {expected})"
    return reason  # messages and claim values never hold the token


def _verify(args: argparse.Namespace, token: str, out: TextIO, err: TextIO) -> int:
    verifier = _verifier_from(args)  # ConfigurationError: exit 2, before anything is fetched
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    error: FastCognitoError | None = None
    try:
        verifier.verify(token)
    except (TokenError, JWKSError) as caught:
        error = caught
    decoded = _Decoded(token)
    reason = None if error is None else _reason(error, now)
    if error is None:
        status, verdict = EXIT_OK, "OK"
    elif isinstance(error, JWKSError):
        status, verdict = EXIT_JWKS_UNAVAILABLE, f"JWKS UNAVAILABLE ({error.code}): {reason}"
    else:
        status, verdict = EXIT_REJECTED, f"REJECTED ({error.code}): {reason}"
    verified = error is None
    if args.json:
        document: dict[str, Any] = {
            "verified": verified,
            "verdict": "ok" if verified else "jwks_unavailable" if status == EXIT_JWKS_UNAVAILABLE else "rejected",
            "code": None if error is None else error.code,
            "reason": reason,
            "header": decoded.header,
            "claims": decoded.payload,
            "times": _times(decoded.payload, now),
        }
        if isinstance(error, ClaimError):
            document["claim"] = error.claim
        out.write(_dump(document) + "\n")
    else:
        label = "verified" if verified else "NOT verified"
        _print_section(out, f"Header ({label})", decoded.header)
        _print_section(out, f"Claims ({label})", decoded.payload)
        _print_times(out, _times(decoded.payload, now))
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
        if args.command == "verify":
            _from_environment(args, os.environ)  # before reading a token from standard input
        token = _read_token(args.token, sys.stdin)
        return int(args.handler(args, token, out, err))
    except _UsageError as error:
        err.write(f"fastcognito: error: {_redact(str(error))}\n")
        return EXIT_USAGE
    except ConfigurationError as error:
        err.write(f"fastcognito: configuration error: {_redact(error.message)}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
