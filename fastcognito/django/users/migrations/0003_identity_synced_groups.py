"""The Cognito groups last synced onto each user (``CognitoIdentity.synced_groups``).

The replica now adds and removes only the Django groups that came from Cognito, and leaves the
groups granted by hand. Until this migration it set a user's groups to exactly the token's
``cognito:groups``, so a linked user's groups are, as far as anything can tell, the last synced
ones: they are recorded as such, and a group Cognito drops later is still removed from Django.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import migrations, models

_CHUNK = 500


def _record_current_groups(apps: Any, schema_editor: Any) -> None:
    identities = apps.get_model("fastcognito_users", "CognitoIdentity")
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    alias = schema_editor.connection.alias
    try:
        field = user_model._meta.get_field("groups")
    except Exception:  # noqa: BLE001  (a user model without Django's groups: nothing to record)
        return
    if not field.many_to_many:
        return
    through = field.remote_field.through
    user_column, group_column = field.m2m_field_name(), field.m2m_reverse_field_name()
    rows = list(identities.objects.using(alias).values_list("pk", "user_id"))
    for start in range(0, len(rows), _CHUNK):
        chunk = dict(rows[start : start + _CHUNK])
        names: dict[Any, list[str]] = {user_id: [] for user_id in chunk.values()}
        memberships = through.objects.using(alias).filter(**{f"{user_column}__in": list(names)})
        for user_id, name in memberships.values_list(user_column, f"{group_column}__name"):
            names[user_id].append(name)
        for pk, user_id in chunk.items():
            if names[user_id]:
                identities.objects.using(alias).filter(pk=pk).update(synced_groups=sorted(names[user_id]))


class Migration(migrations.Migration):
    dependencies = [
        ("fastcognito_users", "0002_identity_issuer_and_sub"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="cognitoidentity",
            name="synced_groups",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(_record_current_groups, migrations.RunPython.noop, elidable=True),
    ]
