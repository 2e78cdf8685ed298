# PSTN usage's sums read the per-day rollup from an index alone (PostgreSQL).

from django.db import migrations

# The report's one query of the rollup (credits.reports.selectors.pstn_usage.usage_summed)
# reads a tenant's days in range and sums them by day and by country: with every column
# it reads in the index, PostgreSQL answers it by an index-only scan of (tenant, day)
# instead of visiting a table page for each rollup row (docs/benchmarks.md, "What keeps
# each page's cost flat"). A covering index is PostgreSQL's (INCLUDE); SQLite has none.
COVER_INDEX = (
    'CREATE INDEX IF NOT EXISTS "credits_call_day_cover_idx" ON "credits_calldaysummary" '
    '("tenant_id", "day") INCLUDE ("call_type", "capability", "pool_capability", '
    '"rated_country", "calls", "billed_minutes", "pool_minutes", "charge")'
)


def cover_index_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COVER_INDEX)


def cover_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "credits_call_day_cover_idx"')


class Migration(migrations.Migration):

    dependencies = [
        ("credits", "0020_ledger_entry_kind_index"),
    ]

    operations = [
        migrations.RunPython(cover_index_create, cover_index_drop, elidable=False),
    ]
