"""CHANGELOG.md in Keep a Changelog form, with a section for the version being built: a release
whose version has no entry fails `make test` (and so CI) the day the version changes."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHANGELOG = REPO / "CHANGELOG.md"


def changelog_sections() -> list[str]:
    return re.findall(r"^## (.+)$", CHANGELOG.read_text(), flags=re.MULTILINE)


def source_version() -> str:
    """`__version__` as written in fastcognito/__init__.py, which pyproject.toml reads at build time
    (not the installed copy, which may be older than the checkout)."""
    source = (REPO / "fastcognito" / "__init__.py").read_text()
    match = re.search(r'^__version__ = "([^"]+)"$', source, flags=re.MULTILINE)
    assert match, "no __version__ line in fastcognito/__init__.py"
    return match.group(1)


def test_the_changelog_has_a_section_for_the_version() -> None:
    """Keep a Changelog: `## [Unreleased]` first, then one `## [X.Y.Z] - YYYY-MM-DD` per release,
    newest first, each with its link at the bottom; the version being built has its own section,
    with entries."""
    text = CHANGELOG.read_text()
    sections = changelog_sections()
    assert sections[0] == "[Unreleased]", sections
    release = r"\[(\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)\] - (\d{4}-\d{2}-\d{2})"
    releases = [re.fullmatch(release, section) for section in sections[1:]]
    assert all(releases), [s for s, m in zip(sections[1:], releases, strict=True) if m is None]
    versions = [match.group(1) for match in releases if match]
    version = source_version()
    assert version in versions, f"CHANGELOG.md has no section for {version}: add `## [{version}] - <date>`"
    dates = [match.group(2) for match in releases if match]
    assert dates == sorted(dates, reverse=True), dates
    body = text.split(f"## [{version}]", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^- ", body, flags=re.MULTILINE), f"the section of {version} lists no change"
    for label in ["Unreleased", *versions]:
        assert re.search(rf"^\[{re.escape(label)}\]: https://\S+$", text, flags=re.MULTILINE), label
