"""Fewer index writes per ledger entry (docs/benchmarks.md, "Usage import").

The account's own index (the unique key and the time-order indexes lead with the account)
and the lot movement's entry index (the once-per-lot unique index leads with the entry)
go; the lot and the acting user, empty on usage entries, are indexed only where set.

The indexes are dropped by name: Django's ``AlterField`` to ``db_index=False`` would also
drop the unique index on the lot's expiries (``credits_entry_one_expiry_per_lot``, which
covers the same column) and drop and re-add each foreign key, checking every row again.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROPPED = {  # index -> (table, column) to rebuild it on the way back
    "credits_ledgerentry_account_id_6205bf0a": ("credits_ledgerentry", "account_id"),
    "credits_ledgerentry_acting_user_id_e110ab9e": ("credits_ledgerentry", "acting_user_id"),
    "credits_ledgerentry_lot_id_e8f6f51f": ("credits_ledgerentry", "lot_id"),
    "credits_lotmovement_entry_id_1a2439e7": ("credits_lotmovement", "entry_id"),
}


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0022_ledger_entry_time_order_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='ledgerentry',
                    name='account',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='credits.creditaccount', verbose_name='credit account'),
                ),
                migrations.AlterField(
                    model_name='ledgerentry',
                    name='acting_user',
                    field=models.ForeignKey(blank=True, db_index=False, help_text='Empty when the system posted the entry.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by'),
                ),
                migrations.AlterField(
                    model_name='ledgerentry',
                    name='lot',
                    field=models.ForeignKey(blank=True, db_index=False, help_text='The lot this entry created (a funding) or forfeited (an expiry). The lots a charge drew from are its lot movements.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='credits.fundlot', verbose_name='lot'),
                ),
                migrations.AlterField(
                    model_name='lotmovement',
                    name='entry',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='movements', to='credits.ledgerentry', verbose_name='entry'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for name, (table, column) in DROPPED.items()
            ],
        ),
        migrations.AddIndex(
            model_name='ledgerentry',
            index=models.Index(condition=models.Q(('lot__isnull', False)), fields=['lot'], name='credits_entry_lot_idx'),
        ),
        migrations.AddIndex(
            model_name='ledgerentry',
            index=models.Index(condition=models.Q(('acting_user__isnull', False)), fields=['acting_user'], name='credits_entry_actor_idx'),
        ),
    ]
