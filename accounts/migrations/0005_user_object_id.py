"""Every directory user gets a stable object ID (a GUID, as the directory's user objects
have), exported in the AAD ObjectId column of the PSTN usage exports.

A unique value can't be added to existing rows in one step (a default is computed once,
so every row would get the same GUID): the column is added empty, each existing user gets
their own GUID, then the column becomes required and unique.
"""

import uuid

from django.db import migrations, models

BATCH = 1000


def give_each_user_an_object_id(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    pending = User.objects.filter(object_id__isnull=True).only("pk")
    batch = []
    for user in pending.iterator(chunk_size=BATCH):
        user.object_id = uuid.uuid4()
        batch.append(user)
        if len(batch) == BATCH:
            User.objects.bulk_update(batch, ["object_id"])
            batch = []
    if batch:
        User.objects.bulk_update(batch, ["object_id"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_tenant_domains_time_zone_mfa_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="object_id",
            field=models.UUIDField(editable=False, null=True, verbose_name="object ID"),
        ),
        migrations.RunPython(give_each_user_an_object_id, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="object_id",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                help_text=(
                    "The directory's stable identifier of the user, exported as AAD ObjectId; "
                    "it never changes, even when the username does."
                ),
                unique=True,
                verbose_name="object ID",
            ),
        ),
    ]
