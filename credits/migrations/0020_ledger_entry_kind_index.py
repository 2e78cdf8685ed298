# The transactions filtered to one type other than usage read that type's newest entries
# through a partial index (README, "Transactions and the runway").

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0019_export_storage'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ledgerentry',
            index=models.Index(condition=models.Q(('kind', 'usage'), _negated=True), fields=['account', 'kind', 'created_at', 'id'], name='credits_entry_kind_at_idx'),
        ),
    ]
