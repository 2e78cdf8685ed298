# Notifications of new kinds: low balance, unusual spend, the daily cap, a webhook endpoint
# disabled.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0015_import_staging'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('recharge_succeeded', 'Auto-recharge succeeded'), ('recharge_failed', 'Auto-recharge failed'), ('balance_zero', 'Balance reached zero'), ('limit_reached', 'Monthly recharge limit reached'), ('expiry_reminder', 'Funds expiring soon'), ('settings_turned_off', 'Auto-recharge turned off'), ('balance_low', 'Balance below the alert threshold'), ('spend_anomaly', 'Unusual daily spend'), ('daily_cap_reached', 'Daily spend cap reached'), ('webhook_disabled', 'Webhook endpoint disabled')], max_length=30, verbose_name='kind'),
        ),
    ]
