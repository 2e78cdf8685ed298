# The ledger's day rollup (spent and funded per account and UTC day), filled from the entries.

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models

USAGE = "usage"
REVERSAL = "reversal"
FUNDINGS = ("purchase", "top_up", "recharge")

BACKFILL_SQL = """
INSERT INTO credits_ledgerdaysummary (account_id, day, spent, funded, entries)
SELECT e.account_id, (e.created_at AT TIME ZONE 'UTC')::date,
       COALESCE(SUM(-e.amount) FILTER (
           WHERE e.kind = 'usage' OR (e.kind = 'reversal' AND o.kind = 'usage')), 0),
       COALESCE(SUM(e.amount) FILTER (
           WHERE e.kind IN ('purchase', 'top_up', 'recharge')
              OR (e.kind = 'reversal' AND o.kind IN ('purchase', 'top_up', 'recharge'))), 0),
       COUNT(*)
FROM credits_ledgerentry e
LEFT JOIN credits_ledgerentry o ON o.id = e.reverses_id
GROUP BY e.account_id, (e.created_at AT TIME ZONE 'UTC')::date
"""


def rollup_backfill(apps, schema_editor):
    """One row per account and UTC day that has entries; in SQL on PostgreSQL, in Python
    with Decimal elsewhere (SQLite's sums are not exact)."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(BACKFILL_SQL)
        return
    LedgerEntry = apps.get_model("credits", "LedgerEntry")
    LedgerDaySummary = apps.get_model("credits", "LedgerDaySummary")
    zero = Decimal("0")
    sums = defaultdict(lambda: [zero, zero, 0])
    rows = (
        LedgerEntry.objects.using(connection.alias)
        .order_by()
        .values_list("account_id", "kind", "amount", "created_at", "reverses__kind")
        .iterator(chunk_size=5000)
    )
    for account_id, kind, amount, created_at, reversed_kind in rows:
        counted = reversed_kind if kind == REVERSAL else kind
        day = sums[account_id, created_at.astimezone(dt.UTC).date()]
        if counted == USAGE:
            day[0] -= amount
        elif counted in FUNDINGS:
            day[1] += amount
        day[2] += 1
    LedgerDaySummary.objects.using(connection.alias).bulk_create(
        [
            LedgerDaySummary(account_id=account_id, day=day, spent=spent, funded=funded,
                             entries=entries)
            for (account_id, day), (spent, funded, entries) in sums.items()
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0012_api_token_scopes'),
    ]

    operations = [
        migrations.CreateModel(
            name='LedgerDaySummary',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='day (UTC)')),
                ('spent', models.DecimalField(decimal_places=4, default=Decimal('0.0000'), max_digits=15, verbose_name='spent')),
                ('funded', models.DecimalField(decimal_places=4, default=Decimal('0.0000'), max_digits=15, verbose_name='funded')),
                ('entries', models.PositiveIntegerField(default=0, verbose_name='entries')),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='day_summaries', to='credits.creditaccount', verbose_name='credit account')),
            ],
            options={
                'verbose_name': 'ledger day summary',
                'verbose_name_plural': 'ledger day summaries',
                'ordering': ['account', 'day'],
                'constraints': [models.UniqueConstraint(fields=('account', 'day'), name='credits_ledger_day_unique')],
            },
        ),
        migrations.RunPython(rollup_backfill, migrations.RunPython.noop),
    ]
