"""Identities keyed by the issuer and ``sub`` together (docs/replica.md).

A ``sub`` is unique only within its issuer: with another identity provider trusted beside the
pool (an ALB's OpenID Connect provider), a user of that provider could present a pool user's
``sub`` and be given that user's local account. The unique ``sub`` becomes a unique pair.

Existing rows keep their issuer. The one rewrite is of Cognito's own issuer forms: a pool's
original and updated forms, and the original form of each Region of a multi-Region pool, name one
pool, and are stored as one issuer (the original form in the pool's home Region), so a pool that
switches forms keeps its users. Nothing else is touched; a row with an empty issuer stays empty
and matches no token until its issuer is set (docs/replica.md).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations, models

# Frozen copy of fastcognito.django.users.sync.identity_issuer as of this migration.
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
_COGNITO_ISSUER = re.compile(
    rf"https://(?:issuer-)?cognito-idp\.{_REGION}\.amazonaws\.com/"
    rf"(?P<pool>(?P<region>{_REGION})_[0-9A-Za-z]+)"
)


def _one_issuer_per_pool(apps: Any, schema_editor: Any) -> None:
    identities = apps.get_model("fastcognito_users", "CognitoIdentity")
    alias = schema_editor.connection.alias
    cognito = identities.objects.using(alias).filter(issuer__contains="cognito-idp.").only("pk", "issuer")
    for identity in cognito:
        match = _COGNITO_ISSUER.fullmatch(identity.issuer)
        if match is None:
            continue
        canonical = f"https://cognito-idp.{match['region']}.amazonaws.com/{match['pool']}"
        if canonical != identity.issuer:
            identities.objects.using(alias).filter(pk=identity.pk).update(issuer=canonical)


class Migration(migrations.Migration):
    dependencies = [("fastcognito_users", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="cognitoidentity", name="sub", field=models.CharField(max_length=255)
        ),
        # The sub was unique until now, so no two rows can meet on the same pair.
        migrations.RunPython(_one_issuer_per_pool, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="cognitoidentity",
            constraint=models.UniqueConstraint(
                fields=("issuer", "sub"), name="fastcognito_identity_issuer_sub"
            ),
        ),
    ]
