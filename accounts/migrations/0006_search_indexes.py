# Trigram indexes for the Active users search (PostgreSQL); an index for the directory counts.

from django.db import migrations, models

# The expressions are exactly those of Django's ``icontains`` on PostgreSQL
# (``UPPER("column"::text) LIKE UPPER('%…%')``), so the planner can use the indexes for
# the queries as the ORM writes them; SQLite keeps its plain LIKE scans.
TRIGRAM_INDEXES = (
    ("accounts_user_name_trgm", "accounts_user", "display_name"),
    ("accounts_user_username_trgm", "accounts_user", "username"),
)


def trigram_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def trigram_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    # The extension stays: other objects (credits' call record indexes) may use it.


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_user_object_id'),
    ]

    operations = [
        migrations.RunPython(trigram_indexes_create, trigram_indexes_drop, elidable=False),
        migrations.AddIndex(
            model_name='user',
            index=models.Index(fields=['tenant', 'is_active'], name='user_tenant_active_idx'),
        ),
    ]
