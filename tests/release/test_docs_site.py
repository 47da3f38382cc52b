"""The documentation site (mkdocs.yml, docs/): built as `make docs` and Read the Docs build it, with
every warning an error, and checked for what a reader needs: every page in the navigation, the
search index, the API reference generated from the docstrings, the sign-in sequence diagrams as
Mermaid blocks, and no fetch from the network at build time. Then the links that leave the site:
the README's (absolute, since PyPI shows it too) must land on a built page and anchor, or on a
file of this repository; and the package metadata points at the site.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import WAIT, chromium

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
SITE_URL = "https://fastcognito.readthedocs.io/en/latest/"
REPO_URL = "https://github.com/fastcognito/fastcognito"
REFERENCE = {
    "fastcognito": ["CognitoVerifier", "Claims", "JWKSClient", "ClaimsCache"],
    "exceptions": ["FastCognitoError", "TokenError", "ExpiredTokenError", "JWKSError"],
    "oauth": ["CognitoOAuthClient", "initiate_auth", "verify_token_set"],
    "testing": ["FakeUserPool", "make_token", "override_settings"],
    "django": ["CognitoUser", "CognitoMiddleware", "cognito_login_required"],
    "drf": ["CognitoAuthentication", "HasGroup", "HasScope"],
}

pytestmark = pytest.mark.slow


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def docs_source(tmp_path: Path) -> Path:
    """The tree to build from: the checkout itself. An unpacked sdist leaves out the benchmark chart
    (a build product, MANIFEST.in), which docs/benchmarks.md shows: there, a copy of the tree gets a
    stand-in image, and only there."""
    chart = DOCS / "benchmarks.png"
    if chart.exists() or not (REPO / "PKG-INFO").exists():
        return REPO
    copy = tmp_path / "tree"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(".venv*", "build", ".nox", "node_modules"))
    (copy / "docs" / "benchmarks.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return copy


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mkdocs build --strict`, as `make docs` runs it, with every proxy pointed at a closed port of
    127.0.0.1: a plugin or theme that fetched anything at build time would fail the build."""
    tmp_path = tmp_path_factory.mktemp("docs")
    out = tmp_path / "site"
    nowhere = f"http://127.0.0.1:{closed_port()}"
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        **{name: nowhere for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")},
        "NO_PROXY": "",
        "no_proxy": "",
    }
    env.pop("READTHEDOCS_CANONICAL_URL", None)
    mkdocs = Path(sys.executable).with_name("mkdocs")
    assert mkdocs.exists(), f"{mkdocs} is missing: `make test` installs it (`make docs-tools`)"
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(out)],
        cwd=docs_source(tmp_path), env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return out


def page(site: Path, url_path: str) -> Path:
    """The HTML file of a site path such as ``django/`` (directory URLs)."""
    return site / url_path.strip("/") / "index.html" if url_path.strip("/") else site / "index.html"


class Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name == "id" and value)


def ids_of(path: Path) -> set[str]:
    parser = Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.ids


def nav_files() -> set[str]:
    from mkdocs.config import load_config

    def walk(items: object) -> list[str]:
        if isinstance(items, str):
            return [items]
        if isinstance(items, dict):
            return [name for value in items.values() for name in walk(value)]
        if isinstance(items, list):
            return [name for item in items for name in walk(item)]
        return []

    return set(walk(load_config(str(REPO / "mkdocs.yml"))["nav"]))


def test_every_page_of_docs_is_in_the_navigation_and_built(site: Path) -> None:
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert nav_files() == pages
    for name in pages:
        built = page(site, "" if name == "index.md" else name.removesuffix(".md"))
        assert built.exists(), name
    for name in ("verifier", "django", "settings", "sign-in", "tokens", "replica", "migrating", "benchmarks",
                 "security", "deployment", "development"):
        assert f"{name}.md" in pages


def test_the_search_index_covers_every_page(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"].split("#", 1)[0] for doc in index["docs"]}
    expected = {"" if p.name == "index.md" else f"{p.relative_to(DOCS).with_suffix('').as_posix()}/"
                for p in DOCS.rglob("*.md")}
    assert expected <= locations, sorted(expected - locations)
    text = " ".join(doc["text"] for doc in index["docs"])
    assert "CognitoVerifier" in text and "jwks_unavailable" in text


@pytest.mark.parametrize(("module", "names"), sorted(REFERENCE.items()))
def test_the_api_reference_is_generated_from_the_docstrings(
    site: Path, module: str, names: list[str]
) -> None:
    built = page(site, f"reference/{module}/")
    ids = ids_of(built)
    qualified = "fastcognito" if module == "fastcognito" else f"fastcognito.{module}"
    for name in names:
        assert any(i == f"{qualified}.{name}" or i.endswith(f".{name}") for i in ids), (module, name)
    if module == "fastcognito":
        # A docstring's own words, rendered: the page is made from the source, not written by hand.
        assert "Verifies Cognito JWTs" in built.read_text(encoding="utf-8")


def test_the_sign_in_sequences_are_mermaid_diagrams(site: Path) -> None:
    html = page(site, "sign-in/").read_text(encoding="utf-8")
    diagrams = re.findall(r'<pre class="mermaid"><code>(.*?)</code></pre>', html, re.DOTALL)
    assert len(diagrams) == 2
    assert all(diagram.startswith("sequenceDiagram") for diagram in diagrams)
    assert "POST /auth/signin/" in diagrams[1].replace("&quot;", '"')


def test_the_site_serves_its_own_pinned_mermaid() -> None:
    """The copy `make docs-js` fetched is the one the Makefile pins: a stale or altered file fails."""
    makefile = (REPO / "Makefile").read_text()
    pinned = re.search(r"^MERMAID_SHA256 := ([0-9a-f]{64})$", makefile, re.MULTILINE)
    assert pinned is not None
    copy = DOCS / "javascripts" / "mermaid.min.js"
    assert copy.exists(), f"{copy} is missing: `make test` fetches it (`make docs-js`)"
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == pinned.group(1), f"run `rm {copy} && make docs-js`"


@pytest.fixture
def served_site(site: Path) -> Iterator[str]:
    """The built site over HTTP on 127.0.0.1, as a reader's browser gets it."""
    handler = functools.partial(QuietHandler, directory=str(site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_the_sign_in_diagrams_are_drawn_in_a_browser_without_the_network(
    served_site: str, tmp_path: Path
) -> None:
    """Headless Chromium, every host name unresolvable (a CDN's script could not load), draws both
    sequence diagrams of the sign-in page: Material swaps each ``pre.mermaid`` for a drawn
    ``div.mermaid`` once Mermaid has rendered it (a ``;`` in a message, which ends a Mermaid
    statement, once kept both diagrams as source text)."""
    from selenium.webdriver.support.ui import WebDriverWait

    offline = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)
    with chromium(tmp_path, offline) as driver:
        driver.get(served_site + "sign-in/")
        drawn = WebDriverWait(driver, WAIT).until(
            lambda driver: driver.execute_script(
                "const drawn = document.querySelectorAll('div.mermaid');"
                "return document.querySelectorAll('pre.mermaid').length === 0 && drawn.length === 2"
                " ? [...drawn].map((node) => node.getBoundingClientRect().height) : null;"
            )
        )
        assert all(height > 100 for height in drawn), drawn
        assert driver.execute_script("return typeof window.mermaid") == "object"
        # A diagram Mermaid cannot parse stays source text and logs its error here.
        errors = [entry["message"] for entry in driver.get_log("browser") if entry["source"] == "javascript"]
        assert errors == []


def test_nothing_is_loaded_from_font_or_social_services(site: Path) -> None:
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text, html
    assert not (site / "assets" / "images" / "social").exists()


def markdown_links(text: str) -> list[str]:
    """Targets of ``[text](target)``, ``![alt](target)`` and ``<https://...>``."""
    return [a or b for a, b in re.findall(r"\]\(([^)\s]+)\)|<(https?://[^>]+)>", text)]


def test_the_readme_links_land_on_built_pages_and_repository_files(site: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    links = markdown_links(readme)
    relative = [link for link in links if not re.match(r"https?://|#", link)]
    assert relative == [], "relative links break on PyPI: use the site or the repository's URL"
    to_site = [link for link in links if link.startswith(SITE_URL)]
    assert len(to_site) >= 10
    for link in to_site:
        url_path, _, anchor = link.removeprefix(SITE_URL).partition("#")
        built = page(site, url_path)
        assert built.exists(), link
        if anchor:
            assert anchor in ids_of(built), link
    for link in links:
        if link.startswith(f"{REPO_URL}/blob/main/"):
            assert (REPO / link.removeprefix(f"{REPO_URL}/blob/main/").partition("#")[0]).exists(), link
        if link.startswith("https://raw.githubusercontent.com/fastcognito/fastcognito/main/"):
            name = link.removeprefix("https://raw.githubusercontent.com/fastcognito/fastcognito/main/")
            assert name == "docs/benchmarks.png", link
    # The quick start comes early: the README is the fast path, the site the reference.
    heading = readme.splitlines().index("## Quick start (Django REST Framework)")
    assert heading < 40


def test_the_package_metadata_points_at_the_site() -> None:
    urls = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Documentation"] == "https://fastcognito.readthedocs.io/"
    assert urls["Source"] == REPO_URL
    assert urls["Changelog"] == f"{REPO_URL}/blob/main/CHANGELOG.md"
    assert urls["Issues"] == f"{REPO_URL}/issues"
    assert (REPO / "CHANGELOG.md").exists()


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_read_the_docs_builds_the_same_site_from_the_same_pins() -> None:
    config = (REPO / ".readthedocs.yaml").read_text()
    assert re.search(r'^\s+python: "3\.12"$', config, re.MULTILINE)
    assert "pip install -c requirements/constraints.txt -r requirements/docs.in" in config
    assert re.search(r"^\s+configuration: mkdocs\.yml$", config, re.MULTILINE)
    assert re.search(r"^\s+- make docs-js$", config, re.MULTILINE)
    assert re.search(r"^\s+fail_on_warning: true$", config, re.MULTILINE)
    tools = pins(REPO / "requirements" / "docs.in")
    assert {"mkdocs", "mkdocs-material", "mkdocstrings", "mkdocstrings-python"} <= set(tools)
    for constraints in ("constraints.txt", "constraints-py310.txt"):
        pinned = pins(REPO / "requirements" / constraints)
        assert {name: pinned.get(name) for name in tools} == tools, constraints
