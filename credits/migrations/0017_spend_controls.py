# Spend controls (the unusual-spend alert, the daily cap) and calling restrictions; call records flagged with the restriction they broke.

import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0016_balance_alerts_recipients'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CallingRestrictions',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('block_premium', models.BooleanField(default=False, verbose_name='block premium-rate numbers')),
                ('international', models.CharField(choices=[('allow', 'Allow international calls'), ('block_all', 'Block all international calls'), ('block_countries', 'Block calls to these countries or regions')], default='allow', max_length=20, verbose_name='international calls')),
                ('blocked_countries', models.JSONField(blank=True, default=list, help_text='ISO 3166 two-letter codes.', verbose_name='blocked countries or regions')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated at')),
            ],
            options={
                'verbose_name': 'calling restrictions',
                'verbose_name_plural': 'calling restrictions',
            },
        ),
        migrations.CreateModel(
            name='SpendControls',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('alert_enabled', models.BooleanField(default=False, verbose_name='alert on unusual spend')),
                ('multiplier', models.DecimalField(decimal_places=1, default=Decimal('3.0'), max_digits=4, verbose_name='times the daily average')),
                ('daily_amount', models.DecimalField(blank=True, decimal_places=4, max_digits=15, null=True, verbose_name='daily amount')),
                ('stop_at_cap', models.BooleanField(default=False, verbose_name='stop paid calls when the daily cap is reached')),
                ('alerted_on', models.DateField(blank=True, null=True, verbose_name='alerted on')),
                ('cap_reached_on', models.DateField(blank=True, null=True, verbose_name='cap reached on')),
                ('cap_lifted_on', models.DateField(blank=True, null=True, verbose_name='cap lifted on')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated at')),
            ],
            options={
                'verbose_name': 'spend controls',
                'verbose_name_plural': 'spend controls',
            },
        ),
        migrations.AddField(
            model_name='callrecord',
            name='restriction',
            field=models.CharField(blank=True, db_default='', default='', help_text='The calling restriction the call broke when it was imported (premium_blocked, international_blocked); empty when none.', max_length=30, verbose_name='restriction'),
        ),
        migrations.AddIndex(
            model_name='callrecord',
            index=models.Index(condition=models.Q(('restriction', ''), _negated=True), fields=['tenant', 'start_time'], name='credits_call_restricted_idx'),
        ),
        migrations.AddField(
            model_name='callingrestrictions',
            name='exempt_users',
            field=models.ManyToManyField(blank=True, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='users allowed anyway'),
        ),
        migrations.AddField(
            model_name='callingrestrictions',
            name='tenant',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='calling_restrictions', to='accounts.tenant', verbose_name='tenant'),
        ),
        migrations.AddField(
            model_name='spendcontrols',
            name='tenant',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='spend_controls', to='accounts.tenant', verbose_name='tenant'),
        ),
        migrations.AddConstraint(
            model_name='callingrestrictions',
            constraint=models.CheckConstraint(condition=models.Q(('international__in', ('allow', 'block_all', 'block_countries'))), name='credits_restrictions_international_known'),
        ),
        migrations.AddConstraint(
            model_name='spendcontrols',
            constraint=models.CheckConstraint(condition=models.Q(('multiplier__gte', Decimal('1.5')), ('multiplier__lte', Decimal('100'))), name='credits_spend_multiplier_range'),
        ),
        migrations.AddConstraint(
            model_name='spendcontrols',
            constraint=models.CheckConstraint(condition=models.Q(('daily_amount__isnull', True), ('daily_amount__gt', 0), _connector='OR'), name='credits_spend_daily_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='spendcontrols',
            constraint=models.CheckConstraint(condition=models.Q(('stop_at_cap', False), ('daily_amount__isnull', False), _connector='OR'), name='credits_spend_cap_has_amount'),
        ),
    ]
