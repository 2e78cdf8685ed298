"""The demo's alerts, one of each in the Message center, and a second seed adds none:

- the low-balance alert: Contoso's alert is a little above its auto-recharge trigger, so
  today's calls (the ones that start its auto-recharge) take the balance below it; the
  notification goes to its finance mailbox too;
- the spend alert: Contoso's alert is on, and today's premium-rate calls are a spike
  against the seeded history ("Unusual Communications Credits spend").

The demo seeded at other hours of the day: tests/credits/demo/test_demo_spend.py.
"""

from __future__ import annotations

import pytest

from accounts.models import Tenant
from credits.models import (
    BalanceAlert,
    BillingRecipient,
    Notification,
    NotificationKind,
    SpendControls,
)

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded_demo")]


def test_the_seeded_demo_shows_one_low_balance_alert(seed_again):
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
    seed_again()
    assert lows.count() == 1


def test_the_seeded_demo_shows_one_spend_anomaly(seed_again):
    contoso = Tenant.objects.get(slug="contoso")
    controls = SpendControls.objects.get(tenant=contoso)
    assert (controls.alert_enabled, str(controls.multiplier), controls.stop_at_cap) == (
        True, "3.0", False
    )
    anomalies = Notification.objects.filter(kind=NotificationKind.SPEND_ANOMALY)
    notification = anomalies.get()
    assert notification.tenant == contoso
    assert notification.params["over_average"] is True
    seed_again()
    assert anomalies.count() == 1
