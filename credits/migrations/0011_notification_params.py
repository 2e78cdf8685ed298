# Notifications keep their kind's parameters and are written when they are sent or shown,
# in each reader's language (README, "Languages and time zones"). Existing notifications
# keep their stored text (the "legacy" renderer), except those of the auto-recharge
# settings turned off by 0008, whose amounts are read back from that change's audit event.
# Every recipient gets their user id, so their language is found when the email is sent.

from django.db import migrations, models


def _text(value):
    return "" if value in (None, "") else str(value)


def keep_params_and_recipient_ids(apps, schema_editor):
    Notification = apps.get_model("credits", "Notification")
    CreditAccount = apps.get_model("credits", "CreditAccount")
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    User = apps.get_model("accounts", "User")
    for notification in Notification.objects.order_by("pk").iterator():
        changed = []
        emails = [r.get("email") for r in notification.recipients if not r.get("user_id")]
        if emails:
            ids = dict(
                User.objects.filter(tenant_id=notification.tenant_id, username__in=emails)
                .values_list("username", "pk")
            )
            notification.recipients = [
                r if r.get("user_id") or r.get("email") not in ids
                else {**r, "user_id": ids[r["email"]]}
                for r in notification.recipients
            ]
            changed.append("recipients")
        if notification.kind == "settings_turned_off" and not notification.params:
            account_pk = notification.dedupe_key.split(":")[1]
            account = CreditAccount.objects.filter(pk=account_pk).first()
            event = AuditEvent.objects.filter(
                tenant_id=notification.tenant_id, action="credits.recharge_settings_update",
                target=f"Credit account {account_pk}", created_at=notification.created_at,
            ).first()
            if account is not None and event is not None and event.before.get("amount"):
                notification.params = {
                    "amount": _text(event.before["amount"]),
                    "trigger": _text(event.before["trigger"]),
                    "currency": account.currency,
                }
                changed.append("params")
        if changed:
            notification.save(update_fields=changed)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_tenant_domains_time_zone_mfa_language'),
        ('credits', '0010_invoices'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='params',
            field=models.JSONField(blank=True, default=dict, help_text='What the message is written from when it is sent or shown: amounts with their currency, dates, order numbers.', verbose_name='parameters'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='context',
            field=models.JSONField(blank=True, default=dict, help_text='The text of notifications recorded before their parameters were kept.', verbose_name='stored text'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='recipients',
            field=models.JSONField(blank=True, default=list, help_text='One entry per admin: user id, email, name and delivery status.', verbose_name='recipients'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='subject',
            field=models.CharField(help_text='In English, for this list; each admin reads it in their own language.', max_length=300, verbose_name='subject'),
        ),
        migrations.RunPython(keep_params_and_recipient_ids, migrations.RunPython.noop),
    ]
