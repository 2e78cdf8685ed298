"""Billing > Bills & payments: monthly statements of the fundings charged, every payment
attempt with its status, and each statement as a printable page and a CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AdminRole
from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.exceptions import PaymentDeclined
from credits.models import Order, OrderKind, OrderStatus, PaymentType
from tests.accounts.factories import AdminFactory
from tests.credits.payments import DECLINED, agreement, invoicing_approved, saved_card, token
from tests.html_text import parse

URL = "/billing/bills/"
# session, user, roles, tenant; statements: count + page; attempts: count + page;
# invoices: count + page, the invoicing approval and what is owed on invoices (approved
# tenants), the oldest overdue invoice (for the billing roles' warning)
PAGE_MAX_QUERIES = 13
STATEMENT_MAX_QUERIES = 5  # session, user, roles, tenant, the month's orders


def _dated(order: Order, at: datetime) -> Order:
    """Move an order to ``at`` (placed and completed then), as if paid that day."""
    Order.objects.filter(pk=order.pk).update(created_at=at, completed_at=at)
    order.refresh_from_db()
    return order


def place(tenant, user, amount, at, *, kind=OrderKind.TOP_UP, payment=None, card=None) -> Order:
    payment = payment or Payment(type=PaymentType.CARD, card=card or saved_card(tenant))
    recharge = RechargeSettings(enabled=False) if kind == OrderKind.PURCHASE else None
    order = order_place(
        tenant=tenant, acting_user=user, kind=kind, amount=Decimal(amount), payment=payment,
        idempotency_key=token(), recharge=recharge,
    )
    return _dated(order, at)


def declined(tenant, user, amount, at) -> Order:
    card = saved_card(tenant, DECLINED)
    with pytest.raises(PaymentDeclined):
        order_place(
            tenant=tenant, acting_user=user, kind=OrderKind.TOP_UP, amount=Decimal(amount),
            payment=Payment(type=PaymentType.CARD, card=card), idempotency_key=token(),
        )
    order = Order.objects.filter(tenant=tenant, status=OrderStatus.FAILED).latest("id")
    return _dated(order, at)


def at(month: int, day: int, year: int = 2025, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def history(tenant, billing_admin):
    """Contoso: set up in January (100), Add funds twice in March (60, 75.50, the second
    with an invoice), a declined top-up in March; nothing in February."""
    card = saved_card(tenant, holder="Alex Wilber")
    invoicing_approved(tenant)
    purchase = place(tenant, billing_admin, "100", at(1, 10), kind=OrderKind.PURCHASE, card=card)
    first = place(tenant, billing_admin, "60", at(3, 2), card=card)
    second = place(tenant, billing_admin, "75.50", at(3, 31, hour=23),
                   payment=Payment(type=PaymentType.INVOICE, po_number="PO-77"))
    failed = declined(tenant, billing_admin, "80", at(3, 15))
    return {"purchase": purchase, "first": first, "second": second, "failed": failed}


@pytest.fixture
def billing_client(client, billing_admin):
    client.force_login(billing_admin)
    return client


def page_of(client, url=URL, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return parse(response.content)


# --- statements ------------------------------------------------------------------------


def test_one_statement_per_month_with_a_funding_newest_first(billing_client, history):
    rows = page_of(billing_client).by_id("statements-table").table_rows()
    assert rows == [
        ["March 2025", "2 fundings", "$135.50", "View CSV"],
        ["January 2025", "1 funding", "$100.00", "View CSV"],
    ]  # February had no funding: no statement, no charge


def test_statement_links_to_its_page_and_its_csv(billing_client, history):
    row = page_of(billing_client).by_id("statement-2025-03")
    assert "/billing/bills/2025-03/" in row.hrefs()
    assert "/billing/bills/2025-03/download/" in row.hrefs()


def test_statement_page_lists_the_fundings_and_the_total(billing_client, tenant, history):
    page = page_of(billing_client, "/billing/bills/2025-03/")
    assert page.by_id("statement-heading").text == "Statement for March 2025"
    assert page.by_id("statement-tenant").text == "Contoso"
    assert page.by_id("statement-country").text == "United States (US)"
    assert page.by_id("statement-currency").text == "USD"
    first, second = history["first"], history["second"]
    assert page.by_id("statement-lines").table_rows() == [
        ["Mar 2, 2025", first.number, "Communications Credits · Add funds",
         "Visa •••• 4242", "$60.00"],
        ["Mar 31, 2025", second.number, "Communications Credits · Add funds",
         "Invoice, PO PO-77", "$75.50"],
    ]
    assert page.by_id("statement-total").text == "$135.50"
    assert history["failed"].number not in page.text


def test_statement_csv_has_the_header_and_one_line_per_funding(billing_client, history):
    response = billing_client.get("/billing/bills/2025-03/download/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="communications-credits-contoso-2025-03.csv"' in (
        response["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Date", "Order", "Description", "Payment method", "Amount", "Currency"],
        ["2025-03-02", history["first"].number, "Communications Credits · Add funds",
         "Visa •••• 4242", "60.00", "USD"],
        ["2025-03-31", history["second"].number, "Communications Credits · Add funds",
         "Invoice, PO PO-77", "75.50", "USD"],
    ]
    assert sum(Decimal(row[4]) for row in rows[1:]) == Decimal("135.50")


def test_month_boundaries_are_utc(billing_client, tenant, billing_admin):
    card = saved_card(tenant)
    place(tenant, billing_admin, "50", at(4, 30, hour=23), kind=OrderKind.PURCHASE, card=card)
    place(tenant, billing_admin, "70", datetime(2025, 5, 1, 0, 0, tzinfo=UTC), card=card)
    rows = page_of(billing_client).by_id("statements-table").table_rows()
    assert [row[:3] for row in rows] == [
        ["May 2025", "1 funding", "$70.00"], ["April 2025", "1 funding", "$50.00"],
    ]


def test_an_enterprise_agreement_funding_names_the_agreement_and_po(
    billing_client, tenant, billing_admin
):
    ea = agreement(tenant, "61234567")
    place(tenant, billing_admin, "200", at(6, 5), kind=OrderKind.PURCHASE,
          payment=Payment(type=PaymentType.ENTERPRISE_AGREEMENT, enterprise_agreement=ea,
                          po_number="PO-1"))
    rows = page_of(billing_client, "/billing/bills/2025-06/").by_id("statement-lines")
    assert rows.table_rows()[0][2:] == [
        "Communications Credits · Set-up purchase", "Enterprise Agreement 61234567, PO PO-1",
        "$200.00",
    ]


@pytest.mark.parametrize("month", ["2025-02", "2025-13", "2025-00", "2025-3", "march",
                                   "2025-03-01", "0000-01", "99999-01"])
def test_a_month_without_funding_or_malformed_is_404(billing_client, history, month):
    assert billing_client.get(f"/billing/bills/{month}/").status_code == 404
    assert billing_client.get(f"/billing/bills/{month}/download/").status_code == 404


def test_no_orders_shows_no_charge(billing_client, tenant):
    page = page_of(billing_client)
    assert "No charge yet" in page.by_id("statements-empty").text
    assert page.by_id("attempts-empty").text == "No payments yet."


def test_statements_are_paginated_by_twelve_months(billing_client, tenant, billing_admin):
    card = saved_card(tenant)
    place(tenant, billing_admin, "50", at(1, 5, year=2023), kind=OrderKind.PURCHASE, card=card)
    for n in range(1, 14):  # 14 months: Jan 2023 .. Feb 2024
        year, month = 2023 + n // 12, n % 12 + 1
        place(tenant, billing_admin, "50", at(month, 5, year=year), card=card)
    first = page_of(billing_client).by_id("statements-table").table_rows()
    assert len(first) == 12 and first[0][0] == "February 2024" and first[-1][0] == "March 2023"
    second = page_of(billing_client, page="2").by_id("statements-table").table_rows()
    assert [row[0] for row in second] == ["February 2023", "January 2023"]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "999", "1.5", ""])
def test_bad_page_numbers_show_a_page_not_an_error(billing_client, history, page):
    response = billing_client.get(URL, {"page": page, "attempts_page": page})
    assert response.status_code == 200
    body = parse(response.content)
    assert body.by_id("statements-table").table_rows()
    assert body.by_id("attempts-table").table_rows()


# --- payment attempts ------------------------------------------------------------------


def test_every_attempt_is_listed_newest_first_with_status_and_failure_reason(
    billing_client, history
):
    table = page_of(billing_client).by_id("attempts-table")
    rows = table.table_rows()
    numbers = [row[1] for row in rows]
    assert numbers == [history[k].number for k in ("second", "failed", "first", "purchase")]
    failed_row = page_of(billing_client).by_id(f"attempt-{history['failed'].pk}")
    reason = failed_row.find_all("div", **{"class": "small text-danger attempt-reason"})[0].text
    assert reason == history["failed"].failure_reason and reason
    assert "Failed" in failed_row.text and "$80.00" in failed_row.text
    assert "Succeeded" in page_of(billing_client).by_id(f"attempt-{history['first'].pk}").text


def test_a_pending_attempt_is_listed_as_pending(billing_client, tenant):
    card = saved_card(tenant)
    Order.objects.create(
        tenant=tenant, kind=OrderKind.PURCHASE, amount=Decimal("100"), currency="USD",
        payment_type=PaymentType.CARD, payment_method=card, idempotency_key="in-flight",
        fingerprint="x",
    )
    rows = page_of(billing_client).by_id("attempts-table").table_rows()
    assert rows[0][-1] == "Pending"
    assert "No charge yet" in page_of(billing_client).by_id("statements-empty").text


def test_attempts_are_paginated_separately(billing_client, tenant, billing_admin):
    card = saved_card(tenant)
    place(tenant, billing_admin, "50", at(1, 1), kind=OrderKind.PURCHASE, card=card)
    for day in range(2, 24):
        place(tenant, billing_admin, "50", at(1, day), card=card)
    page = page_of(billing_client)
    assert len(page.by_id("attempts-table").table_rows()) == 20
    assert "?attempts_page=2" in page.by_id("bills-attempts").hrefs()
    second = page_of(billing_client, attempts_page="2")
    assert len(second.by_id("attempts-table").table_rows()) == 3
    assert len(second.by_id("statements-table").table_rows()) == 1


# --- htmx -----------------------------------------------------------------------------


def test_htmx_gets_only_the_region_it_targets(billing_client, history):
    response = billing_client.get(
        URL, {"attempts_page": "1"}, headers={"HX-Request": "true", "HX-Target": "bills-attempts"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card console-card mb-3"')
    assert 'id="bills-attempts"' in body and 'id="bills-statements"' not in body
    assert "<html" not in body and "HX-Request" in response["Vary"]

    response = billing_client.get(
        URL, headers={"HX-Request": "true", "HX-Target": "bills-statements"}
    )
    body = response.content.decode()
    assert 'id="bills-statements"' in body and 'id="bills-attempts"' not in body


def test_htmx_with_another_target_gets_the_page(billing_client, history):
    body = billing_client.get(URL, headers={"HX-Request": "true", "HX-Target": "main"}).content
    assert b"<html" in body


# --- roles and isolation ---------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [AdminRole.GLOBAL_ADMIN, AdminRole.BILLING_ADMIN, AdminRole.GLOBAL_READER]
)
def test_billing_roles_may_view_bills_and_statements(client, tenant, history, role):
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))
    assert client.get(URL).status_code == 200
    assert client.get("/billing/bills/2025-03/").status_code == 200
    assert client.get("/billing/bills/2025-03/download/").status_code == 200


def test_license_admin_gets_403_and_no_nav_entry(client, license_admin, history):
    client.force_login(license_admin)
    assert client.get(URL).status_code == 403
    nav = parse(client.get("/").content).by_id("console-nav")
    assert URL not in nav.hrefs()


def test_nav_offers_bills_to_billing_roles(billing_client, history):
    nav = page_of(billing_client).by_id("console-nav")
    assert URL in nav.hrefs()


def test_another_tenant_sees_only_its_own_bills(client, other_tenant_admin, history):
    client.force_login(other_tenant_admin)
    page = page_of(client)
    assert not page.has_id("statements-table") and not page.has_id("attempts-table")
    for order in history.values():
        assert order.number not in page.text
    assert client.get("/billing/bills/2025-03/").status_code == 404
    assert client.get("/billing/bills/2025-03/download/").status_code == 404


def test_another_tenants_statement_shows_only_its_orders(client, other_tenant, history):
    other_admin = AdminFactory(tenant=other_tenant, roles=[AdminRole.BILLING_ADMIN])
    place(other_tenant, other_admin, "90", at(3, 20), kind=OrderKind.PURCHASE)
    client.force_login(other_admin)
    page = page_of(client, "/billing/bills/2025-03/")
    assert len(page.by_id("statement-lines").table_rows()) == 1
    assert page.by_id("statement-total").text == "£90.00"
    assert page.by_id("statement-tenant").text == "Fabrikam"


# --- query counts ----------------------------------------------------------------------


def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _orders(tenant, user, n: int, *, set_up: bool = True) -> None:
    card = saved_card(tenant)
    if set_up:
        place(tenant, user, "50", at(1, 1, year=2020), kind=OrderKind.PURCHASE, card=card)
    for index in range(1, n):
        month = index % 12 + 1
        place(tenant, user, "50", at(month, index % 27 + 1, year=2020 + index // 24), card=card)


@pytest.mark.parametrize("n", [3, 60])
def test_page_query_count_is_bounded(billing_client, tenant, billing_admin, n,
                                     django_assert_max_num_queries):
    _orders(tenant, billing_admin, n)
    billing_client.get(URL)
    with django_assert_max_num_queries(PAGE_MAX_QUERIES):
        billing_client.get(URL)
    first_month = Order.objects.succeeded().earliest("completed_at").completed_at
    detail = f"/billing/bills/{first_month:%Y-%m}/"
    with django_assert_max_num_queries(STATEMENT_MAX_QUERIES):
        assert billing_client.get(detail).status_code == 200
    with django_assert_max_num_queries(STATEMENT_MAX_QUERIES):
        assert billing_client.get(detail + "download/").status_code == 200


def test_page_query_count_does_not_grow_with_orders(billing_client, tenant, billing_admin):
    _orders(tenant, billing_admin, 3)
    few = _count(billing_client, URL)
    _orders(tenant, billing_admin, 60, set_up=False)
    assert _count(billing_client, URL) == few <= PAGE_MAX_QUERIES
