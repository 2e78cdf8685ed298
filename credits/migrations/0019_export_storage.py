# Report exports name their file in the "exports" storage (a FileField) instead of a path.

import credits.reports.storage
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0018_webhooks'),
    ]

    operations = [
        migrations.RenameField(
            model_name='reportexport',
            old_name='file_path',
            new_name='file',
        ),
        migrations.AlterField(
            model_name='reportexport',
            name='file',
            field=models.FileField(blank=True, help_text='Its name in the private export storage.', max_length=255, storage=credits.reports.storage.export_storage, upload_to='', verbose_name='file'),
        ),
    ]
