"""The example project runs on PostgreSQL (DATABASE_URL) with the replica on: ``manage.py
migrate`` creates every table, then a replica user is synced. (On SQLite, its default, the example
runs in tests/examples/test_demo.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

REPO = Path(__file__).resolve().parents[2]
MANAGE = REPO / "examples" / "project" / "manage.py"

pytestmark = pytest.mark.slow

# Run inside the example project after `migrate`: sync claims into the replica twice (created,
# then found again) and print the database vendor and the result.
SYNC = """
from django.db import connection
from fastcognito import Claims
from fastcognito.django.users import sync_user
claims = Claims({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example",
                 "sub": "1d0c5b1e-0000-4000-8000-000000000001", "username": "alice", "iat": 1,
                 "email": "alice@example.com", "cognito:groups": ["admins"]})
first, again = sync_user(claims), sync_user(claims)
print(connection.vendor, first.pk == again.pk, first.email, first.is_staff, list(first.groups.values_list("name", flat=True)))
"""


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(MANAGE), *args], env=env, capture_output=True, text=True, timeout=120, cwd=MANAGE.parent
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def example_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        COGNITO_USER_POOL_ID="eu-west-1_example",
        COGNITO_CLIENT_ID="example-client",
        # Loopback and closed: the example's start-up JWKS prefetch must not leave this machine.
        COGNITO_JWKS_URL="http://127.0.0.1:9/jwks.json",
        EXAMPLE_REPLICA="1",
        EXAMPLE_DB_PATH=str(tmp_path / "example.sqlite3"),
        **extra,
    )
    return env


@pytest.mark.django_db(transaction=True, databases=["pg"])
def test_the_example_runs_on_postgresql_with_the_replica(tmp_path: Path) -> None:
    server = connections["pg"].settings_dict
    with connections["pg"].cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS example_project")
        cursor.execute("CREATE DATABASE example_project")
    url = f"postgresql://{server['USER']}@/example_project?host={server['HOST']}&port={server['PORT']}"
    env = example_env(tmp_path, DATABASE_URL=url)
    manage(env, "migrate", "--noinput", "-v", "0")
    assert manage(env, "shell", "-c", SYNC).strip().splitlines()[-1].split() == ["postgresql", "True", "alice@example.com", "True", "['admins']"]
