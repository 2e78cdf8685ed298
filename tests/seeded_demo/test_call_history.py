"""The demo's call history as seed_demo makes it: months of calls through the simulator and
the import, posted in time order with the credit history; a second seed adds nothing;
balances plausible; ``--calls`` cannot add calls to it any more. How the history is built:
tests/credits/demo/test_demo_calls.py; ``--calls`` on a fresh database:
tests/credits/demo/test_demo_bulk_calls.py."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from credits.ledger.verification import account_verify
from credits.models import (
    CallRecord,
    CreditAccount,
    LedgerEntry,
    Notification,
    NotificationKind,
    Order,
    OrderKind,
    OrderStatus,
    Rate,
    TollFreeNumber,
)

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded_demo")]


def test_seed_demo_twice_gives_call_history_and_a_clean_ledger(seeded_demo, seed_again):
    first = seeded_demo
    counts = (CallRecord.objects.count(), LedgerEntry.objects.count())

    again = seed_again()

    assert "Calls imported (simulated history): Contoso" in first
    assert "Calls imported (simulated history): Contoso 0, Fabrikam 0" in again
    assert (CallRecord.objects.count(), LedgerEntry.objects.count()) == counts
    contoso = CallRecord.objects.filter(tenant__slug="contoso")
    fabrikam = CallRecord.objects.filter(tenant__slug="fabrikam")
    # Calls over the whole credit history (about 13 months), the only usage charges.
    assert 6000 <= contoso.count() <= 14000 and 1500 <= fabrikam.count() <= 6000
    assert not CallRecord.objects.filter(tenant__slug="northwind").exists()
    assert contoso.filter(capability="MCOPSTNPP").exists()
    assert contoso.filter(capability="MCOPSTN1").exists()
    assert contoso.filter(capability="MCOMEETADD").exists()
    assert TollFreeNumber.objects.filter(tenant__slug="contoso").exists()
    assert Rate.objects.filter(currency="EUR").exists()  # Northwind sees rates too
    for account in CreditAccount.objects.all():
        assert account_verify(account) == []
    balances = dict(CreditAccount.objects.values_list("tenant__slug", "balance"))
    # Today's calls took Contoso below its trigger; the engine recharged it, once.
    recharge = Order.objects.get(tenant__slug="contoso", kind=OrderKind.AUTO_RECHARGE)
    assert recharge.status == OrderStatus.SUCCEEDED and recharge.amount == Decimal("100")
    assert "Auto-recharge started by today's calls: Contoso" in first
    assert "Auto-recharge started" not in again
    assert Notification.objects.filter(
        tenant__slug="contoso", kind=NotificationKind.RECHARGE_SUCCEEDED
    ).count() == 1
    assert not Notification.objects.filter(kind=NotificationKind.BALANCE_ZERO).exists()
    assert balances["contoso"] > Decimal("100")  # healthy: above the trigger of 25
    assert Decimal("0") < balances["fabrikam"] < Decimal("10")  # near zero, not below
    out = StringIO()
    call_command("ledger_verify", stdout=out, stderr=StringIO())
    assert "reconcile" in out.getvalue()


def test_calls_cannot_be_added_once_the_year_is_in_the_ledger(seed_again):
    before = (CallRecord.objects.count(), LedgerEntry.objects.count())
    with pytest.raises(CommandError, match="fresh demo database"):
        seed_again("--calls", "300")
    assert (CallRecord.objects.count(), LedgerEntry.objects.count()) == before
