"""The data migration that turns off auto-recharge settings saved before "When the balance
falls below" had to be less than "Recharge with": the settings are turned off, audited,
and the billing admins are told, before the database enforces the rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from tests.migrating import migrate_to

BEFORE = [("credits", "0007_report_export"), ("accounts", "0003_service_requests")]
AFTER = [("credits", "0008_recharge_trigger_below_amount")]

# Serialized rollback, as the other tests that commit: the flush after the test then
# leaves the tables empty instead of re-creating content types, which the next test with
# serialized rollback (a browser test on the same worker) would meet as duplicates.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def old_state():
    apps = migrate_to(BEFORE)
    yield apps
    migrate_to(executor_leaf())


def executor_leaf():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_runaway_settings_are_turned_off_audited_and_notified(old_state):
    apps = old_state
    Tenant = apps.get_model("accounts", "Tenant")
    User = apps.get_model("accounts", "User")
    RoleAssignment = apps.get_model("accounts", "RoleAssignment")
    CreditAccount = apps.get_model("credits", "CreditAccount")
    contoso = Tenant.objects.create(name="Contoso", slug="contoso", country="US", currency="USD")
    fabrikam = Tenant.objects.create(
        name="Fabrikam", slug="fabrikam", country="GB", currency="GBP"
    )
    billing = User.objects.create(
        username="billing@contoso.example", display_name="Alex", tenant=contoso
    )
    RoleAssignment.objects.create(user=billing, role="billing_admin")
    reports = User.objects.create(
        username="reports@contoso.example", display_name="Lidia", tenant=contoso
    )
    RoleAssignment.objects.create(user=reports, role="reports_reader")
    runaway = CreditAccount.objects.create(
        tenant=contoso, currency="USD", auto_recharge_enabled=True,
        recharge_amount=Decimal("50"), recharge_trigger=Decimal("10000"),
    )
    sound = CreditAccount.objects.create(
        tenant=fabrikam, currency="GBP", auto_recharge_enabled=True,
        recharge_amount=Decimal("100"), recharge_trigger=Decimal("25"),
    )

    apps = migrate_to(AFTER)

    CreditAccount = apps.get_model("credits", "CreditAccount")
    runaway = CreditAccount.objects.get(pk=runaway.pk)
    assert not runaway.auto_recharge_enabled
    assert (runaway.recharge_amount, runaway.recharge_trigger) == (Decimal(50), Decimal(10000))
    assert CreditAccount.objects.get(pk=sound.pk).auto_recharge_enabled  # left as it was
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    event = AuditEvent.objects.get(action="credits.recharge_settings_update")
    assert event.tenant_id == contoso.pk and event.actor_id is None
    assert event.before["enabled"] is True and event.after["enabled"] is False
    Notification = apps.get_model("credits", "Notification")
    notice = Notification.objects.get()
    assert (notice.tenant_id, notice.kind, notice.status) == (
        contoso.pk, "settings_turned_off", "pending"
    )
    assert [r["email"] for r in notice.recipients] == ["billing@contoso.example"]
    assert "turned off" in " ".join(notice.context["lines"])

    # From now on the database refuses a trigger at or above the recharge.
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAccount.objects.filter(pk=runaway.pk).update(auto_recharge_enabled=True)
