# Reconciling pending orders with the gateway: when an order was last checked and why it
# is still pending; the recurring recovery job's row, which keeps it single
# (credits/billing/services/schedule.py).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0008_recharge_trigger_below_amount'),
    ]

    operations = [
        migrations.CreateModel(
            name='RecurringJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                ('generation', models.PositiveBigIntegerField(default=0, verbose_name='generation')),
                ('next_run_at', models.DateTimeField(blank=True, null=True, verbose_name='next run at')),
                ('last_run_at', models.DateTimeField(blank=True, null=True, verbose_name='last run at')),
                ('last_summary', models.JSONField(blank=True, default=dict, verbose_name="last run's summary")),
            ],
            options={
                'verbose_name': 'recurring job',
                'verbose_name_plural': 'recurring jobs',
            },
        ),
        migrations.AddField(
            model_name='order',
            name='last_reconciled_at',
            field=models.DateTimeField(blank=True, help_text="When the order was last reconciled with the gateway's record of its charge (by the recovery or the Reconcile action).", null=True, verbose_name='last checked with the gateway'),
        ),
        migrations.AddField(
            model_name='order',
            name='reconcile_note',
            field=models.CharField(blank=True, help_text='Why a pending order is still pending after its last check.', max_length=300, verbose_name='reconciliation note'),
        ),
    ]
