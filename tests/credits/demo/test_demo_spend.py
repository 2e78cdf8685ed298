"""The demo's spend alert, whatever the hour the demo is seeded: today's premium-rate calls
(the ones that start its auto-recharge) are one spike on one local day. The demo as seeded
now: tests/seeded_demo/test_alerts.py."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from accounts.models import Tenant
from credits.ledger.verification import account_verify
from credits.models import (
    CallRecord,
    CreditAccount,
    Notification,
    NotificationKind,
    Order,
    OrderKind,
    OrderStatus,
)
from credits.usage.choices import DestinationType
from credits.usage.telephony.simulator import sample_numbers


@pytest.mark.django_db
@pytest.mark.parametrize("after_midnight", [timedelta(minutes=10), timedelta(hours=3, minutes=40)])
def test_the_demo_spike_falls_on_one_local_day_whatever_the_hour(
    django_capture_on_commit_callbacks, after_midnight
):
    """Contoso's day is New York's: seeded a few minutes or a few hours after its
    midnight, the calls that cross the recharge trigger all start on one local day, so
    the spend alert finds one unusual day (not the evening before as well).

    Both moments are also early in UTC's day, where the crossing's calls (the 7 hours
    before now) come after yesterday's evening calls of the history: the recharge they
    start still works and the ledger keeps its time order."""
    zone = ZoneInfo("America/New_York")
    yesterday = datetime.now(zone).date() - timedelta(days=1)
    now = (datetime.combine(yesterday, time.min, tzinfo=zone) + after_midnight).astimezone(UTC)
    clock = mock.patch("accounts.management.commands.seed_demo.timezone.now", return_value=now)
    out = StringIO()
    with clock, django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--password", "demo-password-1", stdout=out)
    contoso = Tenant.objects.get(slug="contoso")
    crossing = CallRecord.objects.filter(
        tenant=contoso, destination_number__in=_premium_numbers(contoso)
    )
    days = {call.start_time.astimezone(zone).date() for call in crossing}
    assert len(days) == 1, days
    assert Notification.objects.filter(kind=NotificationKind.SPEND_ANOMALY).count() == 1
    assert "Auto-recharge started by today's calls: Contoso" in out.getvalue()
    recharge = Order.objects.get(tenant=contoso, kind=OrderKind.AUTO_RECHARGE)
    assert recharge.status == OrderStatus.SUCCEEDED
    for account in CreditAccount.objects.all():
        assert account_verify(account) == []


def _premium_numbers(tenant) -> list[str]:
    """The premium-rate number the demo's crossing calls dial (credits.demo.recharge)."""
    return sample_numbers("GB", DestinationType.PREMIUM, 1)
