# Notifications of new kinds; the low-balance alert, billing email recipients and opt-outs.

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_search_indexes'),
        ('credits', '0015_import_staging'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('recharge_succeeded', 'Auto-recharge succeeded'), ('recharge_failed', 'Auto-recharge failed'), ('balance_zero', 'Balance reached zero'), ('limit_reached', 'Monthly recharge limit reached'), ('expiry_reminder', 'Funds expiring soon'), ('settings_turned_off', 'Auto-recharge turned off'), ('balance_low', 'Balance below the alert threshold'), ('spend_anomaly', 'Unusual daily spend'), ('daily_cap_reached', 'Daily spend cap reached'), ('webhook_disabled', 'Webhook endpoint disabled')], max_length=30, verbose_name='kind'),
        ),
        migrations.CreateModel(
            name='BalanceAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('threshold', models.DecimalField(blank=True, decimal_places=4, max_digits=15, null=True, verbose_name='alert below')),
                ('alerted_at', models.DateTimeField(blank=True, null=True, verbose_name='alerted at')),
                ('alerted_entry_id', models.BigIntegerField(blank=True, null=True, verbose_name='last entry when alerted')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated at')),
                ('tenant', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='balance_alert', to='accounts.tenant', verbose_name='tenant')),
            ],
            options={
                'verbose_name': 'low-balance alert',
                'verbose_name_plural': 'low-balance alerts',
                'constraints': [models.CheckConstraint(condition=models.Q(('threshold__isnull', True), ('threshold__gt', 0), _connector='OR'), name='credits_balance_alert_threshold_positive')],
            },
        ),
        migrations.CreateModel(
            name='BillingRecipient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='email address')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='billing_recipients', to='accounts.tenant', verbose_name='tenant')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='billing_recipient_of', to=settings.AUTH_USER_MODEL, verbose_name='admin')),
            ],
            options={
                'verbose_name': 'billing email recipient',
                'verbose_name_plural': 'billing email recipients',
                'ordering': ['pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('email', ''), ('user__isnull', False)), models.Q(('user__isnull', True), models.Q(('email', ''), _negated=True)), _connector='OR'), name='credits_billing_recipient_user_or_email'), models.UniqueConstraint(condition=models.Q(('user__isnull', False)), fields=('tenant', 'user'), name='credits_billing_recipient_user_once'), models.UniqueConstraint(models.F('tenant'), django.db.models.functions.text.Lower('email'), condition=models.Q(('email', ''), _negated=True), name='credits_billing_recipient_email_once')],
            },
        ),
        migrations.CreateModel(
            name='NotificationOptOut',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('recharge_succeeded', 'Auto-recharge succeeded'), ('recharge_failed', 'Auto-recharge failed'), ('balance_zero', 'Balance reached zero'), ('limit_reached', 'Monthly recharge limit reached'), ('expiry_reminder', 'Funds expiring soon'), ('settings_turned_off', 'Auto-recharge turned off'), ('balance_low', 'Balance below the alert threshold'), ('spend_anomaly', 'Unusual daily spend'), ('daily_cap_reached', 'Daily spend cap reached'), ('webhook_disabled', 'Webhook endpoint disabled')], max_length=30, verbose_name='kind')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notification_opt_outs', to='accounts.tenant', verbose_name='tenant')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notification_opt_outs', to=settings.AUTH_USER_MODEL, verbose_name='admin')),
            ],
            options={
                'verbose_name': 'notification opt-out',
                'verbose_name_plural': 'notification opt-outs',
                'ordering': ['pk'],
                'constraints': [models.UniqueConstraint(fields=('user', 'kind'), name='credits_notification_opt_out_once'), models.CheckConstraint(condition=models.Q(('kind__in', ['balance_zero', 'daily_cap_reached', 'recharge_failed', 'webhook_disabled']), _negated=True), name='credits_notification_opt_out_not_critical')],
            },
        ),
    ]
