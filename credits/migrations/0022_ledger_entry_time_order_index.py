# An account's entries in (created_at, id) order from the index alone: the keyset pages
# of the transactions and the balance chart's probes no longer sort the entries that
# share a moment (a usage import's chunk). The new index is built before the old one goes.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0021_call_day_summary_cover_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ledgerentry',
            index=models.Index(fields=['account', 'created_at', 'id'], name='credits_entry_account_seq_idx'),
        ),
        migrations.RemoveIndex(
            model_name='ledgerentry',
            name='credits_entry_account_at_idx',
        ),
    ]
