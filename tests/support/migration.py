"""The harness of the migration tests (tests/migration/test_*.py): a replaced system's project
served before and after its guide, by the same requests.

A test copies the system's project from ``projects/SYSTEM/`` (configured as that system's own
documentation configures it) into a temporary directory, starts it in the system's own virtual
environment (``make migration-envs``) with ``runner.py``, creates its users the way the system
creates them, and sends its requests. It then applies the guide as ``docs/migrating.md`` writes
it (``apply_guide``): the "after" settings appended to the project's settings, its URL lines in
place of the system's, its files written, and its ``manage.py`` steps run, on the same database.
The same requests go to the after half, served by this suite's interpreter and fastcognito.

The guide's blocks are marked in docs/migrating.md:

- ``<!-- after: NAME settings -->``: Python appended to the project's ``settings.py``.
- ``<!-- after: NAME urls -->``: the entries that replace those between the project's
  ``# auth urls`` markers in ``urls.py``.
- ``<!-- after: NAME file=PATH -->``: the new content of that file of the project.
- ``<!-- after: NAME steps -->``: shell lines ``python manage.py ...``, run in order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import select
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "GUIDES",
    "Answer",
    "Project",
    "Site",
    "Tokens",
    "UserPool",
    "create_user_pool",
    "guide_blocks",
    "guide_names",
    "send",
    "venv_python",
]

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "migration"
"""The migration tests, with the runner and the replaced systems' projects."""
GUIDES = ROOT / "docs" / "migrating.md"
VENVS = Path(os.environ.get("FASTCOGNITO_MIGRATION_VENVS", ROOT / ".venv-migration"))
BLOCK = re.compile(
    r"<!-- after: (?P<name>\S+) (?P<kind>\S+) -->\n```(?:python|sh)\n(?P<code>.*?)```", re.DOTALL
)
AUTH_URLS = re.compile(r"(?P<indent>[ \t]*)# auth urls\n.*?[ \t]*# end of auth urls\n", re.DOTALL)
# The longest a half may take to answer one command (its start, a migrate, a request).
ANSWER_TIMEOUT = 120.0


def venv_python(system: str) -> Path:
    """The interpreter of ``system``'s own virtual environment; a missing one fails with the
    command that makes it (``make test`` does)."""
    python = VENVS / system / "bin" / "python"
    if not (VENVS / system / ".deps-stamp").exists() or not python.exists():
        pytest.fail(
            f"{python} is missing: run `make migration-envs` (make test does) in {ROOT}", pytrace=False
        )
    return python


def guide_blocks(name: str) -> dict[str, str]:
    """The "after" blocks of guide ``name``, by kind (``settings``, ``urls``, ``steps``,
    ``file=PATH``), exactly as docs/migrating.md writes them."""
    blocks: dict[str, str] = {}
    for match in BLOCK.finditer(GUIDES.read_text()):
        if match["name"] == name:
            assert match["kind"] not in blocks, f"guide {name} has two {match['kind']} blocks"
            blocks[match["kind"]] = match["code"]
    return blocks


def guide_names() -> set[str]:
    """Every guide that has an "after" block."""
    return {match["name"] for match in BLOCK.finditer(GUIDES.read_text())}


@dataclasses.dataclass
class Answer:
    """What a half answered to one request: status, a few headers, the body (tokens replaced by
    ``<jwt>``), the cookies set (attributes only) and the unverified claims of body tokens."""

    status: int
    headers: dict[str, str]
    json: Any
    text: str
    cookies: dict[str, dict[str, Any]]
    claims: dict[str, dict[str, Any]]

    @property
    def refused(self) -> bool:
        return self.status in (401, 403)

    def __repr__(self) -> str:
        body = self.json if self.json is not None else self.text[:120]
        return f"<{self.status} {body!r}>"


def send(site: Site, requests: Mapping[str, Mapping[str, Any]]) -> dict[str, Answer]:
    """Each request of ``requests`` (label: options of ``Site.request``) through a client of its
    own, named by its label unless it names one (a sequence sharing cookies)."""
    return {label: site.request(**{"client": label, **request}) for label, request in requests.items()}


class Site:
    """One half of a migration: the project served by ``runner.py`` under ``python``."""

    def __init__(self, python: Path, project: Project, env: Mapping[str, str], label: str) -> None:
        self.label = label
        self.log = project.path / f"{label}.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [str(python), str(HERE / "runner.py")],
            cwd=project.path,
            env={**env, "DJANGO_SETTINGS_MODULE": "settings"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
        )
        try:
            self.ready = self._read()
        except BaseException:
            self.close()
            raise

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        # One line per command: nothing is left buffered between answers, so select() sees it.
        if not select.select([self.process.stdout], [], [], ANSWER_TIMEOUT)[0]:
            self.process.kill()
            raise AssertionError(f"the {self.label} half did not answer in {ANSWER_TIMEOUT:.0f} s")
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            raise AssertionError(f"the {self.label} half exited:\n{self.log.read_text()[-4000:]}")
        answer: dict[str, Any] = json.loads(line)
        if "crashed" in answer:
            raise AssertionError(f"the {self.label} half failed:\n{answer['crashed']}")
        return answer

    def call(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def request(self, method: str, path: str, *, client: str = "browser", **options: Any) -> Answer:
        answer = self.call({"op": "request", "client": client, "method": method, "path": path, **options})
        return Answer(**answer)

    def get(self, path: str, **options: Any) -> Answer:
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> Answer:
        return self.request("POST", path, **options)

    def remember(self, tokens: Tokens) -> None:
        """Hands ``tokens`` to the half: requests then name them ``{{USER.IdToken}}``, etc."""
        self.call({"op": "remember", "name": tokens.username, "values": dict(tokens)})

    def python(self, code: str) -> Any:
        return self.call({"op": "python", "code": code})["result"]

    def manage(self, *argv: str) -> str:
        answer = self.call({"op": "manage", "argv": list(argv)})
        assert answer["ok"], f"manage.py {argv[0]} failed in the {self.label} half: {answer}"
        return str(answer["output"])

    def checks(self) -> list[dict[str, Any]]:
        return list(self.call({"op": "checks"})["messages"])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log_file.close()


class Project:
    """A replaced system's project (``projects/SYSTEM/``) copied to ``path``, with its database."""

    def __init__(self, system: str, path: Path, env: Mapping[str, str]) -> None:
        self.system = system
        self.path = path
        ignore = shutil.ignore_patterns("__pycache__", "*.log", "db.sqlite3")
        shutil.copytree(HERE / "projects" / system, path, dirs_exist_ok=True, ignore=ignore)
        self.env = dict(env)

    def base_env(self) -> dict[str, str]:
        keep = (
            "PATH",
            "LANG",
            "LC_ALL",
            "TMPDIR",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_DEFAULT_REGION",
            "AWS_EC2_METADATA_DISABLED",
            "NO_PROXY",
        )
        env = {name: os.environ[name] for name in keep if name in os.environ}
        env["HOME"] = str(self.path)
        return {**env, **self.env}

    @contextlib.contextmanager
    def before(self, *, jwks_origin: str | None = None) -> Iterator[Site]:
        """The project under the replaced system, in its own virtual environment."""
        env = {**self.base_env(), "PYTHONPATH": str(self.path)}
        if jwks_origin:
            env["MIGRATION_JWKS_ORIGIN"] = jwks_origin
        site = Site(venv_python(self.system), self, env, "before")
        try:
            yield site
        finally:
            site.close()

    @contextlib.contextmanager
    def after(self, *, extra_paths: tuple[Path, ...] = ()) -> Iterator[Site]:
        """The project after its guide (``apply_guide`` first), under this suite's interpreter
        and the fastcognito it imports."""
        paths = [str(self.path), *map(str, extra_paths)]
        inherited = os.environ.get("PYTHONPATH")
        if inherited:
            paths.append(inherited)
        env = {**self.base_env(), "PYTHONPATH": os.pathsep.join(paths)}
        site = Site(Path(sys.executable), self, env, "after")
        try:
            yield site
        finally:
            site.close()

    def apply_guide(self, name: str, *, test_settings: str = "") -> list[list[str]]:
        """Writes guide ``name``'s blocks into the project; returns its ``manage.py`` steps.

        ``test_settings`` is appended after the guide's settings: only what the emulator needs
        (its addresses), never what changes behaviour; each test says what it adds and why.
        """
        blocks = guide_blocks(name)
        assert "settings" in blocks, f"guide {name} has no settings block"
        settings = self.path / "settings.py"
        settings.write_text(
            f"{settings.read_text()}\n# --- docs/migrating.md, {name}: after ---\n{blocks['settings']}"
            f"\n# --- the test's own additions (the emulator's addresses) ---\n{test_settings}\n"
        )
        if "urls" in blocks:
            urls = self.path / "urls.py"
            text = urls.read_text()
            match = AUTH_URLS.search(text)
            assert match, f"{urls} has no '# auth urls' markers"
            entries = "".join(f"{match['indent']}{line}\n" for line in blocks["urls"].splitlines())
            urls.write_text(text[: match.start()] + entries + text[match.end() :])
        for kind, code in blocks.items():
            if kind.startswith("file="):
                target = self.path / kind.removeprefix("file=")
                assert target.resolve().is_relative_to(self.path.resolve())
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(code)
        steps = []
        for line in blocks.get("steps", "").splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            words = shlex.split(line)
            assert words[:2] == ["python", "manage.py"], f"guide {name}: a step is not `python manage.py ...`"
            steps.append(words[2:])
        return steps


# --- Cognito: a user pool on ministack (tests/ministack_server.py), genuine tokens ------------

PASSWORD = "Correct-horse-1!"
HOSTS = ("testserver", "app.example.com")
CALLBACK_URLS = [f"https://{host}/auth/{view}/" for host in HOSTS for view in ("login", "callback")]
LOGOUT_URLS = [f"https://{host}/" for host in HOSTS]


class Tokens(dict[str, str]):
    """A sign-in's tokens (``AccessToken``, ``IdToken``, ``RefreshToken``), whose repr shows
    none of them: requests name them by placeholder (``Site.remember``), never by value."""

    def __init__(self, username: str, tokens: Mapping[str, str]) -> None:
        super().__init__(tokens)
        self.username = username

    def __repr__(self) -> str:
        return f"<tokens of {self.username}>"


@dataclasses.dataclass
class UserPool:
    """A pool of ministack's Cognito with the users every replaced system's site had: alice (in
    ``editors``), bob (no group), carol (her e-mail unverified) and dave (never used the old
    site). Tokens are ministack's own, signed by the pool's key, AWS-shaped (boolean
    ``email_verified``, the AWS issuer form)."""

    url: str
    api: Any
    pool_id: str
    client_id: str
    other_client_id: str
    region: str = "eu-west-1"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/{self.pool_id}/.well-known/jwks.json"

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    def sub(self, username: str) -> str:
        user = self.api.admin_get_user(UserPoolId=self.pool_id, Username=username)
        return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")

    def login(self, username: str, client_id: str | None = None, *, name: str | None = None) -> Tokens:
        """``AccessToken``, ``IdToken`` and ``RefreshToken`` of a password sign-in, remembered
        by the halves under ``name`` (the user name by default)."""
        result = self.api.initiate_auth(
            ClientId=client_id or self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
        auth = result["AuthenticationResult"]
        return Tokens(
            name or username, {key: auth[key] for key in ("AccessToken", "IdToken", "RefreshToken")}
        )

    def add_user(self, username: str, groups: tuple[str, ...] = (), **attributes: str) -> None:
        self.api.admin_create_user(
            UserPoolId=self.pool_id,
            Username=username,
            TemporaryPassword="Temporary-pass-1!",
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
        )
        self.api.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        for group in groups:
            self.api.admin_add_user_to_group(UserPoolId=self.pool_id, Username=username, GroupName=group)


def create_user_pool(url: str, *, access_seconds: int | None = None) -> UserPool:
    """The pool; with ``access_seconds``, the app client's access and id tokens live that long
    (ministack honours seconds), so that a test can see them expire."""
    from tests.support.ministack_server import cognito_api

    api = cognito_api(url)
    pool_id = api.create_user_pool(PoolName="migration")["UserPool"]["Id"]
    common: dict[str, Any] = {
        "UserPoolId": pool_id,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": ["openid", "email", "profile"],
        "CallbackURLs": CALLBACK_URLS,
        "LogoutURLs": LOGOUT_URLS,
        "SupportedIdentityProviders": ["COGNITO"],
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    }
    lifetimes: dict[str, Any] = {}
    if access_seconds is not None:
        lifetimes = {
            "AccessTokenValidity": access_seconds,
            "IdTokenValidity": access_seconds,
            "TokenValidityUnits": {"AccessToken": "seconds", "IdToken": "seconds"},
        }
    client_id = api.create_user_pool_client(ClientName="web", **common, **lifetimes)["UserPoolClient"][
        "ClientId"
    ]
    other = api.create_user_pool_client(ClientName="other-app", **common)["UserPoolClient"]["ClientId"]
    pool = UserPool(url, api, pool_id, client_id, other)
    api.create_group(UserPoolId=pool_id, GroupName="editors")
    for name, groups, verified in (
        ("alice", ("editors",), "true"),
        ("bob", (), "true"),
        ("carol", (), "false"),
        ("dave", (), "true"),
    ):
        # django-rest-microservice stores given_name and family_name, and fails without them.
        attributes = {"given_name": name.title(), "family_name": "Example"}
        pool.add_user(name, groups, email=f"{name}@example.com", email_verified=verified, **attributes)
    return pool
