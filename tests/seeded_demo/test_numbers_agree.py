"""On the seeded demo every number agrees, wherever it is shown (README, "Demo sign-ins"):
the usage charges are the imported calls, the fundings are orders, so the funding advice,
the PSTN usage report, Bills & payments, Home, the subscription page and the ledger read
the same records."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import Tenant, User
from credits.billing.selectors.bills import statement_lines, statements
from credits.billing.selectors.funding_advice import funding_advice
from credits.common.dates import month_bounds
from credits.models import (
    CallRecord,
    CreditAccount,
    EntryKind,
    LedgerEntry,
    Order,
    OrderStatus,
)
from credits.reports.selectors.pstn_usage import UsageSelection, calls_selected, usage_totals
from tests.html_text import parse

CENT = Decimal("0.01")


TENANTS = ["contoso", "fabrikam"]


pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded_demo")]


def test_on_the_seeded_demo_every_number_agrees(client):
    # The recharge today's calls start is paid as soon as the seed's transaction commits
    # (the worker does it under make demo; the package's seed runs it: conftest.py).
    for slug in TENANTS:
        usage_charges_are_imported_calls_and_fundings_are_orders(slug)
        advice_spend_is_the_pstn_reports_amount_charged(slug)
        statements_list_exactly_the_succeeded_orders_of_their_month(slug)
        one_balance_on_home_the_subscription_page_and_the_ledger(client, slug)
    ledger_verifies_clean()
    fabrikam_is_near_zero_with_its_last_lot_expiring_soon()


def usage_charges_are_imported_calls_and_fundings_are_orders(slug):
    account = CreditAccount.objects.get(tenant__slug=slug)
    usage = account.entries.filter(kind=EntryKind.USAGE)
    assert usage.exists()
    assert not usage.exclude(reference_type="call").exists()
    charged = CallRecord.objects.filter(tenant__slug=slug).exclude(charge=0)
    assert usage.count() == charged.count()
    # Summed in Python: SQLite's SUM adds floats, exact only to about 1e-12.
    assert -sum(usage.values_list("amount", flat=True)) == sum(
        charged.values_list("charge", flat=True)
    )
    fundings = account.entries.filter(
        kind__in=[EntryKind.PURCHASE, EntryKind.TOP_UP, EntryKind.RECHARGE]
    )
    assert fundings.count() >= 2
    assert not fundings.exclude(reference_type="order").exists()
    orders = Order.objects.filter(tenant__slug=slug, status=OrderStatus.SUCCEEDED)
    assert sorted(fundings.values_list("pk", flat=True)) == sorted(
        orders.values_list("ledger_entry", flat=True)
    )
    assert not LedgerEntry.objects.filter(reference_type="demo").exists()


def advice_spend_is_the_pstn_reports_amount_charged(slug):
    tenant = Tenant.objects.get(slug=slug)
    now = timezone.now()
    advice = funding_advice(tenant=tenant, at=now)
    today = now.astimezone(UTC).date()
    for days, spend in ((28, advice.spend_28), (90, advice.spend_90)):
        selection = UsageSelection(tenant=tenant, first=today - timedelta(days=days - 1),
                                   last=today)
        charged = usage_totals(calls_selected(selection)).amount or Decimal("0")
        assert spend == charged.quantize(CENT), days
    if slug == "contoso":
        assert advice.spend_28 > 0


def statements_list_exactly_the_succeeded_orders_of_their_month(slug):
    tenant = Tenant.objects.get(slug=slug)
    listed = list(statements(tenant)[0:100])
    succeeded = Order.objects.filter(tenant=tenant, status=OrderStatus.SUCCEEDED)
    months = {order.completed_at.astimezone(UTC).date().replace(day=1) for order in succeeded}
    assert {statement.month for statement in listed} == months
    assert len(months) >= 2
    for statement in listed:
        start, end = month_bounds(statement.month)
        of_month = succeeded.filter(completed_at__gte=start, completed_at__lt=end)
        lines = statement_lines(tenant, statement.month)
        assert sorted(o.pk for o in lines) == sorted(of_month.values_list("pk", flat=True))
        assert statement.total == of_month.aggregate(s=Sum("amount"))["s"]


def one_balance_on_home_the_subscription_page_and_the_ledger(client, slug):
    account = CreditAccount.objects.get(tenant__slug=slug)
    entries = account.entries.aggregate(s=Sum("amount"))["s"]
    assert account.balance == entries.quantize(Decimal("0.0001"))
    client.force_login(User.objects.get(username=f"billing@{slug}.example"))

    home = parse(client.get("/").content.decode()).by_id("home-credits-balance").text
    page = client.get("/billing/products/communications-credits/").content.decode()
    subscription = parse(page).by_id("credits-balance").text

    assert home == subscription
    assert f"{account.balance.quantize(CENT):,}" in home.replace("\xa0", " ")


def ledger_verifies_clean():
    out, err = StringIO(), StringIO()
    call_command("ledger_verify", stdout=out, stderr=err)
    assert err.getvalue() == ""
    assert "reconcile" in out.getvalue()


def fabrikam_is_near_zero_with_its_last_lot_expiring_soon():
    account = CreditAccount.objects.get(tenant__slug="fabrikam")
    now = timezone.now()
    assert Decimal("0") < account.balance < Decimal("10")
    soon = account.lots.filter(
        Q(remaining__gt=0), expires_at__gt=now, expires_at__lte=now + timedelta(days=30)
    )
    assert soon.count() == 1
