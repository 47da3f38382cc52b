"""docs/settings.md is the settings schema: generated from it (scripts/settings_doc.py), and every
check id, key table and hint of the project agrees with it."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from fastcognito.django.conf import CHECK_IDS, DOCS, SCHEMA, SECTIONS, schema_of
from tests.support import CLIENT_ID, POOL_ID

ROOT = Path(__file__).resolve().parents[2]
DOCS_DIR = ROOT / "docs"


def settings_doc() -> ModuleType:
    spec = importlib.util.spec_from_file_location("settings_doc", ROOT / "scripts" / "settings_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_is_generated_from_the_schema() -> None:
    page = (DOCS_DIR / "settings.md").read_text(encoding="utf-8")
    assert settings_doc().render() == page, "docs/settings.md differs from the schema: run `make settings-doc`"


def test_the_page_names_every_key_and_every_check() -> None:
    page = (DOCS_DIR / "settings.md").read_text(encoding="utf-8")
    for setting in SCHEMA:
        assert f"| `{setting.key}`" in page
    for check in CHECK_IDS:
        assert f"| `fastcognito.{check}` |" in page


def reported_ids() -> set[str]:
    """Every check id the Django layer can report, read from its source."""
    found: set[str] = set()
    for path in (ROOT / "fastcognito" / "django").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"fastcognito\.([EW]\d{3})\b", text))
        found |= set(re.findall(r"Problem\(\s*\"([EW]\d{3})\"", text))
        found |= set(re.findall(r"_denylist_warning\(\s*\"([EW]\d{3})\"", text))
    found |= {check for setting in SCHEMA for check in (setting.check, setting.missing, *setting.rules) if check}
    found |= {check for check in SECTIONS.values() if check}
    return found


def test_every_check_id_is_documented_and_every_documented_one_exists() -> None:
    assert reported_ids() == set(CHECK_IDS)


def key_tables(text: str) -> list[tuple[list[str], list[str]]]:
    """Each markdown table whose first column is ``key``: its header cells and its keys."""
    tables = []
    for block in re.findall(r"^\| key \|.*\n\|[-|]+\|\n(?:\|.*\n?)*", text, re.MULTILINE):
        lines = block.strip().splitlines()
        header = [cell.strip() for cell in lines[0].strip("|").split("|")]
        keys = [re.match(r"\| `([A-Z_]+)`", line).group(1) for line in lines[2:]]  # type: ignore[union-attr]
        tables.append((header, keys))
    return tables


# The topic pages that explain every key of one part of the schema, in their own words.
TOPIC_TABLES = {"django.md": "", "sign-in.md": "HOSTED_UI", "replica.md": "REPLICA"}


@pytest.mark.parametrize("page", sorted(path.name for path in DOCS_DIR.glob("*.md") if path.name != "settings.md"))
def test_key_tables_elsewhere_agree_with_the_schema(page: str) -> None:
    """Other pages may explain keys, never restate their defaults (which would drift), and a
    topic page explains every key of its part."""
    for header, keys in key_tables((DOCS_DIR / page).read_text(encoding="utf-8")):
        assert "default" not in header, f"{page}: defaults belong to docs/settings.md"
        section = TOPIC_TABLES.get(page, "")
        assert set(keys) <= set(schema_of(section)), f"{page}: {set(keys) - set(schema_of(section))}"
        if page in TOPIC_TABLES:
            assert keys == list(schema_of(section)), f"{page} must explain every key, in the schema's order"


BAD: list[dict[str, Any]] = [
    {"USER_POOL_ID": "x", "TYPO": 1, "TOKEN_USE": "both", "COOKIE_NAME": ""},
    {"USER_POOL_ID": POOL_ID},
    {"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID, "LEEWAY": -1, "JWKS": 5, "DENYLIST": "nowhere"},
    {"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID, "HOSTED_UI": {"DOMIAN": 1}, "REPLICA": {"X": 1}},
    {"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID, "ALB": {"ARNS": "x"}, "ISSUER_FORM": "new"},
]


@pytest.mark.parametrize("fastcognito", BAD)
def test_every_hint_points_to_the_page(fastcognito: dict[str, Any]) -> None:
    from fastcognito.django.users.checks import check_replica

    with override_settings(FASTCOGNITO=fastcognito):
        found = [*checks.run_checks(tags=["fastcognito"]), *check_replica()]
    assert found
    for message in found:
        assert message.hint.endswith(DOCS), (message.id, message.hint)
