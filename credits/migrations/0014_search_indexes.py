# Call record indexes: the PSTN usage sort by charge, and its search by caller (PostgreSQL).

from django.db import migrations, models

# Search by caller (PostgreSQL): the distinct (UPN, display name) pairs of the tenant's
# calls are read by a skip scan of this index, then each matching caller's calls of the
# range by an index range (credits.usage.selectors.calls_searched).
CALLER_INDEX = (
    'CREATE INDEX IF NOT EXISTS "credits_call_tenant_caller_idx" ON "credits_callrecord" '
    '("tenant_id", "upn", "user_display_name", "start_time")'
)


def caller_index_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CALLER_INDEX)


def caller_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "credits_call_tenant_caller_idx"')


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0013_ledger_day_rollup'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='callrecord',
            index=models.Index(
                fields=['tenant', 'charge', 'id', 'start_time'],
                name='credits_call_tenant_charge_idx',
            ),
        ),
        migrations.RunPython(caller_index_create, caller_index_drop, elidable=False),
    ]
