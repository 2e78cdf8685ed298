"""The demo's low-balance alert: Contoso's alert is a little above its auto-recharge
trigger, so today's calls (the ones that start its auto-recharge) take the balance below
it and the Message center shows one "balance is below" notification, sent to its finance
mailbox too; a second seed adds none."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Tenant
from credits.models import BalanceAlert, BillingRecipient, Notification, NotificationKind


@pytest.mark.django_db
def test_the_seeded_demo_shows_one_low_balance_alert(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--password", "demo-password-1", stdout=StringIO())
    contoso = Tenant.objects.get(slug="contoso")
    alert = BalanceAlert.objects.get(tenant=contoso)
    assert alert.threshold == contoso.credit_account.recharge_trigger + 10
    assert list(BillingRecipient.objects.values_list("tenant__slug", "email")) == [
        ("contoso", "finance@contoso.example")
    ]
    lows = Notification.objects.filter(kind=NotificationKind.BALANCE_LOW)
    notification = lows.get()
    assert notification.tenant == contoso
    assert "finance@contoso.example" in [r["email"] for r in notification.recipients]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--password", "demo-password-1", stdout=StringIO())
    assert lows.count() == 1
