"""FASTCOGNITO keys for issuer forms, replica Regions, offline keys, JWKS timeouts and ALB tokens:
each reaches the verifier, and each mistake has its own system-check id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from fastcognito.django.conf import fastcognito_settings
from tests.support import CLIENT_ID, POOL_ID, TokenFactory
from tests.support.alb_tokens import ARN

BASE = {"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID}
ORIGINAL = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"
UPDATED = f"https://issuer-cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"
REPLICA = f"https://cognito-idp.eu-central-1.amazonaws.com/{POOL_ID}"
ALB = {"ARNS": [ARN], "CLIENT_ID": "albclient", "ISSUER": ORIGINAL}


def ids(**fastcognito: Any) -> list[str]:
    with override_settings(FASTCOGNITO=fastcognito):
        return [message.id for message in checks.run_checks(tags=["fastcognito"])]


# --- the settings reach the verifier -------------------------------------------------------


def test_issuer_form_and_replica_regions() -> None:
    with override_settings(
        FASTCOGNITO={**BASE, "ISSUER_FORM": "both", "ADDITIONAL_REGIONS": ["eu-central-1"]}
    ):
        verifier = fastcognito_settings.verifier
        assert sorted(verifier.pools) == sorted([ORIGINAL, REPLICA, UPDATED])
        assert verifier.jwks_clients[UPDATED].url == f"{UPDATED}/.well-known/jwks.json"
    with override_settings(FASTCOGNITO=BASE):
        assert list(fastcognito_settings.verifier.pools) == [ORIGINAL]


def test_offline_jwks_document_and_file(
    jwks_document: dict[str, Any], tokens: TokenFactory, tmp_path: Path
) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks_document))
    for value in (jwks_document, str(path), path):
        with override_settings(FASTCOGNITO={**BASE, "JWKS": value, "ISSUER_FORM": "both"}):
            verifier = fastcognito_settings.verifier
            assert verifier.jwks_clients == {}
            assert verifier.verify(tokens.access(iss=UPDATED)).issuer == UPDATED
            assert ids(**{**BASE, "JWKS": value}) == []


@pytest.mark.parametrize(
    ("value", "expected"), [(2, (2.0, 2.0)), ((0.5, 4), (0.5, 4.0)), ([1, 2], (1.0, 2.0))]
)
def test_jwks_timeout(value: Any, expected: tuple[float, float]) -> None:
    with override_settings(FASTCOGNITO={**BASE, "JWKS_TIMEOUT": value}):
        (client,) = fastcognito_settings.verifier.jwks_clients.values()
        assert client.timeout == expected


def test_valid_settings_pass() -> None:
    assert ids(**BASE, ISSUER_FORM="updated", JWKS_TIMEOUT=(1, 2), ALB=ALB) == []
    assert ids(**BASE, ADDITIONAL_REGIONS=("eu-central-1", "us-east-1"), ALB={**ALB, "CLIENT_ID": None}) == []


# --- each mistake has its own id -------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"ISSUER_FORM": "new"}, "E130"),
        ({"ISSUER_FORM": None}, "E130"),
        ({"ISSUER_FORM": "updated", "ADDITIONAL_REGIONS": ["eu-central-1"]}, "E131"),
        ({"ADDITIONAL_REGIONS": ["moon-1"]}, "E131"),
        ({"ADDITIONAL_REGIONS": ["eu-west-1"]}, "E131"),
        ({"ADDITIONAL_REGIONS": 5}, "E131"),
        ({"JWKS": 5}, "E132"),
        ({"JWKS": ""}, "E132"),
        ({"JWKS": "/nonexistent/jwks.json"}, "E132"),
        ({"JWKS": {"keys": []}}, "E132"),
        ({"JWKS_TIMEOUT": -1}, "E133"),
        ({"JWKS_TIMEOUT": "3"}, "E133"),
        ({"JWKS_TIMEOUT": (1, 2, 3)}, "E133"),
        ({"JWKS_TIMEOUT": (1, float("inf"))}, "E133"),
        ({"ALB": ["arn"]}, "E134"),
        ({"ALB": {**ALB, "ARN": ARN}}, "E134"),
        ({"ALB": {"CLIENT_ID": "x", "ISSUER": None}}, "E134"),
        ({"ALB": {"ARNS": [ARN], "ISSUER": None}}, "E134"),
        ({"ALB": {**ALB, "ARNS": ["arn:aws:s3:::bucket"]}}, "E134"),
        ({"ALB": {**ALB, "KEYS_URL": "http://keys.example"}}, "E134"),
        ({"ISSUER": ORIGINAL, "ISSUER_FORM": "both"}, "E017"),
    ],
)
def test_each_mistake_is_reported_once(settings: dict[str, Any], expected: str) -> None:
    assert ids(**BASE, **settings) == [f"fastcognito.{expected}"]


def test_unreadable_and_invalid_jwks_files(tmp_path: Path) -> None:
    not_json = tmp_path / "not.json"
    not_json.write_text("{")
    a_list = tmp_path / "list.json"
    a_list.write_text("[]")
    huge = tmp_path / "huge.json"
    huge.write_text(" " * 70000)
    for path in (not_json, a_list, huge, tmp_path):
        assert ids(**BASE, JWKS=str(path)) == ["fastcognito.E132"]


def test_reported_by_manage_py_check() -> None:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with override_settings(FASTCOGNITO={**BASE, "ALB": {"ARNS": [ARN]}}):
        with pytest.raises(SystemCheckError, match=r"fastcognito\.E134.*client_id is required"):
            call_command("check")
