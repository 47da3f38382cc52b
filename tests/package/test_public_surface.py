"""The public surface: every exception exported and documented with its code and status, and the
source citing only files the repository ships, never an issue number."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import fastcognito
import fastcognito.exceptions

REPO = Path(__file__).resolve().parents[2]
SOURCES = [
    path
    for pattern in ("*.py", "*.pyx", "*.pyi")
    for path in (REPO / "fastcognito").rglob(pattern)
]


def exception_classes() -> dict[str, type[BaseException]]:
    return {
        name: cls
        for name, cls in vars(fastcognito.exceptions).items()
        if inspect.isclass(cls)
        and issubclass(cls, BaseException)
        and cls.__module__ == "fastcognito.exceptions"
    }


def test_every_exception_is_exported() -> None:
    classes = exception_classes()
    assert sorted(fastcognito.exceptions.__all__) == sorted(classes)
    exported = {name for name in fastcognito.__all__ if name.endswith("Error")}
    assert exported == set(classes)
    for name, cls in classes.items():
        assert getattr(fastcognito, name) is cls


def test_every_exception_is_in_the_readme_error_tables_with_its_code_and_status() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    errors = readme[readme.index("## Errors") :].split("\n## ", 1)[0]
    rows = {
        match.group(1): line
        for line in errors.splitlines()
        if (match := re.match(r"\| `(\w+)`", line))
    }
    for name, cls in exception_classes().items():
        assert name in rows, f"{name} is not in the README's error tables"
        cells = [cell.strip() for cell in rows[name].strip("|").split("|")]
        code = getattr(cls, "code", None)
        if name != "FastCognitoError":  # the root's "error" is never answered
            assert cells[1] == f"`{code}`", (name, cells)
        assert cells[2], f"{name} has no HTTP status in the README"
        status = getattr(cls, "status", None)
        if status is not None:
            assert cells[2].startswith(str(status)), (name, status, cells[2])


def test_the_source_cites_only_files_the_repository_ships() -> None:
    cited = {
        (path.relative_to(REPO), match)
        for path in SOURCES
        for match in re.findall(r"[\w./-]+\.md\b", path.read_text(encoding="utf-8"))
    }
    assert cited, "the scan found no citation at all"
    missing = [(str(path), name) for path, name in cited if not (REPO / name).is_file()]
    assert missing == []


def test_no_comment_or_docstring_names_an_issue_number() -> None:
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in SOURCES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bissues?\s+#?\d+|#\d{2,}\b", line, re.IGNORECASE)
    ]
    assert found == []
