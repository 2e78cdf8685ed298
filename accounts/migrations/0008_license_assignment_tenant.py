# Each license assignment keeps its user's tenant, so a tenant's licenses are counted from
# the (tenant, user) and (tenant, product) indexes without reading its users.

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = (
    "UPDATE accounts_licenseassignment SET tenant_id = ("
    "SELECT u.tenant_id FROM accounts_user u WHERE u.id = accounts_licenseassignment.user_id)"
)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_notification_preferences'),
    ]

    operations = [
        migrations.AddField(
            model_name='licenseassignment',
            name='tenant',
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name='+',
                to='accounts.tenant',
                verbose_name='tenant',
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, elidable=False),
        migrations.AlterField(
            model_name='licenseassignment',
            name='tenant',
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name='+',
                to='accounts.tenant',
                verbose_name='tenant',
            ),
        ),
        migrations.AddIndex(
            model_name='licenseassignment',
            index=models.Index(fields=['tenant', 'user'], name='license_tenant_user_idx'),
        ),
        migrations.AddIndex(
            model_name='licenseassignment',
            index=models.Index(fields=['tenant', 'product'], name='license_tenant_product_idx'),
        ),
    ]
