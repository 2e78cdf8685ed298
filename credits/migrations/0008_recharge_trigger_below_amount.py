# "When the balance falls below" must be less than "Recharge with" (credits/billing/rules.py).
# Auto-recharge settings saved before the rule that break it are turned off first, each
# with an audit event and a notification to the tenant's billing admins (Message center
# and email; the workers send it), then the database enforces the rule.

from django.db import migrations, models
from django.db.models import F, Q
from django.utils import timezone

BILLING_ROLES = ("global_admin", "billing_admin")


def _text(value):
    return "" if value is None else f"{value.normalize():f}"


def turn_off_runaway_settings(apps, schema_editor):
    CreditAccount = apps.get_model("credits", "CreditAccount")
    Notification = apps.get_model("credits", "Notification")
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    User = apps.get_model("accounts", "User")
    now = timezone.now()
    runaway = CreditAccount.objects.filter(
        auto_recharge_enabled=True, recharge_trigger__gte=F("recharge_amount")
    ).select_related("tenant")
    for account in runaway:
        amount, trigger = account.recharge_amount, account.recharge_trigger
        before = {
            "enabled": True, "amount": str(amount), "trigger": str(trigger),
            "monthly_limit": None if account.monthly_recharge_limit is None
            else str(account.monthly_recharge_limit),
        }
        account.auto_recharge_enabled = False
        account.recharge_settings_updated_at = now
        account.save(update_fields=["auto_recharge_enabled", "recharge_settings_updated_at"])
        AuditEvent.objects.create(
            tenant=account.tenant, actor=None, action="credits.recharge_settings_update",
            target=f"Credit account {account.pk}",
            before=before, after={**before, "enabled": False},
            created_at=now,
        )
        admins = (
            User.objects.filter(
                tenant=account.tenant, is_active=True,
                role_assignments__role__in=BILLING_ROLES,
            )
            .distinct()
            .order_by("display_name", "pk")
        )
        Notification.objects.get_or_create(
            tenant=account.tenant,
            dedupe_key=f"settings_turned_off:{account.pk}:{now:%Y%m%d%H%M%S}",
            defaults={
                "kind": "settings_turned_off",
                "subject": "Auto-recharge was turned off",
                "context": {
                    "lines": [
                        f"Auto-recharge was set to recharge with {_text(amount)} "
                        f"{account.currency} when the balance falls below {_text(trigger)} "
                        f"{account.currency}. With the trigger at or above the recharge, "
                        "every call would start another recharge, so auto-recharge has "
                        "been turned off.",
                        "Open Modify recharge settings on the Communications Credits page, "
                        "choose a trigger below the recharge amount and turn auto-recharge "
                        "on again.",
                    ]
                },
                "recipients": [
                    {"email": user.username, "name": user.display_name, "status": "pending"}
                    for user in admins
                ],
                "status": "pending",
                "created_at": now,
            },
        )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_service_requests'),
        ('credits', '0007_report_export'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('recharge_succeeded', 'Auto-recharge succeeded'), ('recharge_failed', 'Auto-recharge failed'), ('balance_zero', 'Balance reached zero'), ('limit_reached', 'Monthly recharge limit reached'), ('expiry_reminder', 'Funds expiring soon'), ('settings_turned_off', 'Auto-recharge turned off')], max_length=30, verbose_name='kind'),
        ),
        migrations.RunPython(turn_off_runaway_settings, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='creditaccount',
            constraint=models.CheckConstraint(condition=Q(('auto_recharge_enabled', False), ('recharge_trigger__lt', F('recharge_amount')), _connector='OR'), name='credits_account_trigger_below_recharge', violation_error_message='“When the balance falls below” must be less than “Recharge with”.'),
        ),
    ]
