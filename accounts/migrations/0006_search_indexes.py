# Reserved step in the migration history; filled in by the change that needs it.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_user_object_id'),
    ]

    operations = []
