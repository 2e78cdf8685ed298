"""The migration to notifications written when read: recipients get their user ids; the
notifications of the auto-recharge settings turned off by the earlier migration get their
amounts back from that change's audit event; other existing notifications keep their
stored text (the legacy renderer)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from credits.notifications.renderers import render
from tests.migrating import migrate_to

BEFORE = [("credits", "0010_invoices"),
          ("accounts", "0004_tenant_domains_time_zone_mfa_language")]
AFTER = [("credits", "0011_notification_params")]

# Serialized rollback, as the other tests that migrate (see test_recharge_rule_migration).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def old_state():
    apps = migrate_to(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    migrate_to(executor.loader.graph.leaf_nodes())


def test_existing_notifications_get_recipient_ids_and_the_turned_off_ones_their_amounts(
    old_state,
):
    apps = old_state
    Tenant = apps.get_model("accounts", "Tenant")
    User = apps.get_model("accounts", "User")
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    CreditAccount = apps.get_model("credits", "CreditAccount")
    Notification = apps.get_model("credits", "Notification")
    contoso = Tenant.objects.create(name="Contoso", slug="contoso", country="US", currency="USD")
    billing = User.objects.create(
        username="billing@contoso.example", display_name="Alex", tenant=contoso
    )
    account = CreditAccount.objects.create(
        tenant=contoso, currency="USD", auto_recharge_enabled=False,
        recharge_amount=Decimal("50"), recharge_trigger=Decimal("10000"),
    )
    when = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    before = {"enabled": True, "amount": "50.0000", "trigger": "10000.0000",
              "monthly_limit": None}
    AuditEvent.objects.create(
        tenant=contoso, actor=None, action="credits.recharge_settings_update",
        target=f"Credit account {account.pk}", before=before,
        after={**before, "enabled": False}, created_at=when,
    )
    recipients = [{"email": billing.username, "name": "Alex", "status": "sent"},
                  {"email": "gone@contoso.example", "name": "Gone", "status": "sent"}]
    turned_off = Notification.objects.create(
        tenant=contoso, kind="settings_turned_off",
        dedupe_key=f"settings_turned_off:{account.pk}:{when:%Y%m%d%H%M%S}",
        subject="Auto-recharge was turned off", context={"lines": ["stored"]},
        recipients=recipients, status="sent", created_at=when,
    )
    failed = Notification.objects.create(
        tenant=contoso, kind="recharge_failed", dedupe_key="recharge_failed:1",
        subject="Auto-recharge failed", context={"lines": ["The card was declined."]},
        recipients=recipients, status="sent", created_at=when,
    )

    apps = migrate_to(AFTER)

    Notification = apps.get_model("credits", "Notification")
    turned_off = Notification.objects.get(pk=turned_off.pk)
    assert turned_off.params == {"amount": "50.0000", "trigger": "10000.0000", "currency": "USD"}
    assert [r.get("user_id") for r in turned_off.recipients] == [billing.pk, None]
    with translation.override("en"):
        rendered = render(kind=turned_off.kind, params=turned_off.params, country="US")
    assert rendered.subject == "Auto-recharge was turned off"
    assert "recharge with $50.00 when the balance falls below $10,000.00" in rendered.lines[0]
    failed = Notification.objects.get(pk=failed.pk)
    assert failed.params == {}  # its text stays as it was written
    rendered = render(kind=failed.kind, params=failed.params, country="US",
                      subject=failed.subject, context=failed.context)
    assert (rendered.subject, rendered.lines) == ("Auto-recharge failed",
                                                  ("The card was declined.",))
