"""The invoice pages: the Invoices section of Bills & payments (with the credit line and a
warning for the billing roles when an invoice is overdue), each invoice's printable page,
the Home warning, and the Invoice option at checkout, offered only to tenants approved
for invoicing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import AdminRole
from credits.billing.rules import INVOICE_NET_DAYS, RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.invoices import invoice_mark_paid, invoice_void
from credits.billing.services.orders import order_place
from credits.billing.services.recharge_settings import billing_profile_write
from credits.models import (
    CreditAccount,
    Invoice,
    InvoicingApproval,
    Order,
    OrderKind,
    PaymentType,
)
from tests.accounts.factories import AdminFactory
from tests.credits.payments import (
    ADD_FUNDS_URL,
    PAYMENT_METHOD_URL,
    SETUP_URL,
    counts,
    invoicing_approved,
    payment_post,
    saved_card,
    setup_post,
    token,
)
from tests.html_text import parse

pytestmark = pytest.mark.django_db

BILLS_URL = "/billing/bills/"
INVOICE = Payment(type=PaymentType.INVOICE)
HOME_CREDITS_MAX_QUERIES = 14  # Home's 6; the account, balance, last recharge, overdue invoice;
# the alerts: spend of the last 28 days, expiring lots, the card paying for credits; the
# runway: the funding advice's spend


def buy(tenant, user, amount, *, kind=OrderKind.TOP_UP, payment=INVOICE) -> Order:
    recharge = RechargeSettings(enabled=False) if kind == OrderKind.PURCHASE else None
    return order_place(
        tenant=tenant, acting_user=user, kind=kind, amount=Decimal(amount), payment=payment,
        idempotency_key=token(), recharge=recharge,
    )


def overdue(invoice: Invoice, days: int = 3) -> Invoice:
    today = timezone.now().astimezone(dt.UTC).date()
    due = today - dt.timedelta(days=days)
    issued = dt.datetime.combine(due - dt.timedelta(days=INVOICE_NET_DAYS), dt.time(9),
                                 tzinfo=dt.UTC)
    Invoice.objects.filter(pk=invoice.pk).update(issued_at=issued, due_on=due)
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def invoiced(tenant, billing_admin):
    """Contoso, approved up to $1,000: set up by invoice ($100, PO-12), then Add funds by
    invoice ($250)."""
    invoicing_approved(tenant, "1000")
    first = buy(tenant, billing_admin, "100", kind=OrderKind.PURCHASE,
                payment=Payment(type=PaymentType.INVOICE, po_number="PO-12"))
    second = buy(tenant, billing_admin, "250")
    return first.invoice, second.invoice


@pytest.fixture
def reader(tenant):
    return AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER])


def page_of(client, url=BILLS_URL, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return parse(response.content)


def day(value: dt.date) -> str:
    return date_format(value, "DATE_FORMAT")


# --- Bills & payments: the Invoices section -------------------------------------------


def test_invoices_are_listed_newest_first_with_their_dates_amount_and_status(
    client, billing_admin, invoiced
):
    first, second = invoiced
    paid = invoice_mark_paid(invoice=first, acting_user=None, reason="Received")
    client.force_login(billing_admin)
    rows = page_of(client).by_id("invoices-table").table_rows()
    assert rows == [
        [second.number, day(second.issued_on), day(second.due_on), second.order.number,
         "$250.00", "Open"],
        [paid.number, day(paid.issued_on), day(paid.due_on), paid.order.number,
         "$100.00", "Paid"],
    ]
    row = page_of(client).by_id(f"invoice-{second.number}")
    assert f"/billing/invoices/{second.number}/" in row.hrefs()
    assert f"/billing/orders/{second.order.pk}/" in row.hrefs()


def test_the_credit_line_shows_the_limit_what_is_owed_and_what_is_left(
    client, billing_admin, invoiced
):
    client.force_login(billing_admin)
    assert page_of(client).by_id("invoices-credit-line").text == (
        "Credit limit $1,000.00 · unpaid $350.00 · available $650.00"
    )


def test_an_overdue_invoice_has_its_badge_and_the_billing_roles_a_warning(
    client, billing_admin, reader, global_admin, invoiced
):
    late = overdue(invoiced[0])
    for admin in (billing_admin, global_admin):
        client.force_login(admin)
        page = page_of(client)
        badge = page.by_id(f"invoice-{late.number}").find_all("span", **{"data-status": "overdue"})
        assert [b.text for b in badge] == ["Overdue"]
        warning = page.by_id("bills-invoice-overdue").text
        assert f"Invoice {late.number} ($100.00) was due on {day(late.due_on)}" in warning
        assert "nothing more can be bought by invoice" in warning
        assert f"/billing/invoices/{late.number}/" in page.by_id("bills-invoice-overdue").hrefs()
    client.force_login(reader)
    page = page_of(client)
    assert not page.has_id("bills-invoice-overdue")  # the readers see the badge only
    assert "Overdue" in page.by_id(f"invoice-{late.number}").text


def test_a_tenant_not_approved_is_told_how_to_ask_for_invoicing(client, billing_admin):
    client.force_login(billing_admin)
    page = page_of(client)
    assert "isn't approved to pay by invoice" in page.by_id("invoices-empty").text
    link = page.by_id("invoices-request").attrs["href"]
    assert link.startswith("/support/requests/?topic=billing&")
    assert page.by_id("invoices-credit-line").text == "Newest first"


def test_an_approved_tenant_without_invoices_is_told_what_will_appear(client, tenant,
                                                                      billing_admin):
    invoicing_approved(tenant, "500")
    client.force_login(billing_admin)
    page = page_of(client)
    assert page.by_id("invoices-empty").text.startswith("No invoices yet")
    assert "available $500.00" in page.by_id("invoices-credit-line").text


def _many_invoices(tenant, user, n: int) -> None:
    for _ in range(n):
        buy(tenant, user, "50")


def test_invoices_are_paginated_by_twenty_and_swap_alone_with_htmx(client, tenant,
                                                                   billing_admin):
    invoicing_approved(tenant, "100000")
    buy(tenant, billing_admin, "50", kind=OrderKind.PURCHASE)
    _many_invoices(tenant, billing_admin, 22)  # 23 invoices
    client.force_login(billing_admin)
    page = page_of(client)
    assert len(page.by_id("invoices-table").table_rows()) == 20
    assert "?invoices_page=2" in page.by_id("bills-invoices").hrefs()
    response = client.get(BILLS_URL, {"invoices_page": "2"},
                          headers={"HX-Request": "true", "HX-Target": "bills-invoices"})
    body = response.content.decode()
    assert 'id="bills-invoices"' in body and 'id="bills-statements"' not in body
    assert "<html" not in body
    assert len(parse(body).by_id("invoices-table").table_rows()) == 3


def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_page_reads_the_same_number_of_queries_with_3_or_30_invoices(
    client, tenant, billing_admin
):
    invoicing_approved(tenant, "100000")
    buy(tenant, billing_admin, "50", kind=OrderKind.PURCHASE)
    _many_invoices(tenant, billing_admin, 2)
    late = overdue(Invoice.objects.first())
    client.force_login(billing_admin)
    few = _count(client, BILLS_URL)
    overdue(late, days=-30)  # due again, so that more can be bought by invoice
    _many_invoices(tenant, billing_admin, 27)
    for invoice in Invoice.objects.all()[:10]:
        overdue(invoice)
    assert _count(client, BILLS_URL) == few <= 13
    assert len(page_of(client).by_id("invoices-table").table_rows()) == 20


# --- the invoice page -------------------------------------------------------------------


def test_the_invoice_page_shows_the_organization_order_amount_due_date_and_how_to_pay(
    client, tenant, billing_admin, invoiced
):
    invoice = invoiced[0]
    client.force_login(billing_admin)
    page = page_of(client, f"/billing/invoices/{invoice.number}/")
    assert page.by_id("invoice-heading").text == f"Invoice {invoice.number} Open"
    assert page.by_id("invoice-tenant").text == "Contoso"
    assert page.by_id("invoice-country").text == "United States (US)"
    assert page.by_id("invoice-po").text == "PO-12"
    assert page.by_id("invoice-issued").text == day(invoice.issued_on)
    assert page.by_id("invoice-due").text == day(invoice.issued_on + dt.timedelta(days=30))
    assert page.by_id("invoice-currency").text == "USD"
    assert page.by_id("invoice-order").text == invoice.order.number
    assert page.by_id("invoice-total").text == "$100.00"
    instructions = page.by_id("invoice-instructions").text
    assert f"Pay $100.00 by bank transfer by {day(invoice.due_on)}" in instructions
    assert f"quoting {invoice.number} as the payment reference" in instructions
    assert "PO number PO-12" in instructions and "within 30 days" in instructions
    assert not page.has_id("invoice-overdue")
    assert page.has_id("invoice-print")


def test_the_invoice_page_says_when_it_is_overdue_paid_or_void(client, billing_admin,
                                                               invoiced):
    first, second = invoiced
    client.force_login(billing_admin)
    late = overdue(first)
    page = page_of(client, f"/billing/invoices/{late.number}/")
    assert page.by_id("invoice-status").text == "Overdue"
    assert f"was due on {day(late.due_on)} and is unpaid" in page.by_id("invoice-overdue").text
    invoice_mark_paid(invoice=late, acting_user=None, reason="Received")
    page = page_of(client, f"/billing/invoices/{late.number}/")
    assert page.by_id("invoice-status").text.startswith("Paid")
    assert page.by_id("invoice-instructions").text == "This invoice is paid: nothing is owed."
    invoice_void(invoice=second, acting_user=None, reason="Duplicate")
    page = page_of(client, f"/billing/invoices/{second.number}/")
    assert page.by_id("invoice-status").text.startswith("Void")
    assert "cancelled: nothing is owed" in page.by_id("invoice-instructions").text


@pytest.mark.parametrize(
    "role", [AdminRole.GLOBAL_ADMIN, AdminRole.BILLING_ADMIN, AdminRole.GLOBAL_READER]
)
def test_the_billing_roles_and_global_readers_may_view_an_invoice(client, tenant, invoiced,
                                                                  role):
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))
    assert client.get(f"/billing/invoices/{invoiced[0].number}/").status_code == 200


def test_other_roles_get_403_and_another_tenant_404(client, license_admin, other_tenant_admin,
                                                    invoiced):
    url = f"/billing/invoices/{invoiced[0].number}/"
    client.force_login(license_admin)
    assert client.get(url).status_code == 403
    client.force_login(other_tenant_admin)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("number", ["INV-1999-000001", "nothing", "1"])
def test_an_unknown_invoice_is_404(client, billing_admin, invoiced, number):
    client.force_login(billing_admin)
    assert client.get(f"/billing/invoices/{number}/").status_code == 404


def test_the_invoice_page_answers_htmx_with_its_partial(client, billing_admin, invoiced):
    client.force_login(billing_admin)
    response = client.get(f"/billing/invoices/{invoiced[0].number}/",
                          headers={"HX-Request": "true", "HX-Target": "main"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="invoice">') and "<html" not in body


def test_the_order_page_links_its_invoice(client, billing_admin, invoiced):
    invoice = invoiced[1]
    client.force_login(billing_admin)
    page = page_of(client, f"/billing/orders/{invoice.order.pk}/")
    assert page.by_id("order-invoice").hrefs() == [f"/billing/invoices/{invoice.number}/"]
    assert f"Pay by bank transfer by {day(invoice.due_on)}" in page.by_id("order-invoice").text


# --- Home ---------------------------------------------------------------------------


def test_home_warns_the_billing_roles_of_an_overdue_invoice(client, billing_admin, reader,
                                                           invoiced):
    client.force_login(billing_admin)
    assert not page_of(client, "/").has_id("home-invoice-overdue")
    late = overdue(invoiced[0])
    warning = page_of(client, "/").by_id("home-invoice-overdue")
    assert f"Invoice {late.number} ($100.00) was due on {day(late.due_on)}" in warning.text
    assert f"/billing/invoices/{late.number}/" in warning.hrefs()
    client.force_login(reader)
    assert not page_of(client, "/").has_id("home-invoice-overdue")


def test_home_reads_a_bounded_number_of_queries_whatever_the_invoices(
    client, tenant, billing_admin
):
    invoicing_approved(tenant, "100000")
    buy(tenant, billing_admin, "50", kind=OrderKind.PURCHASE)
    late = overdue(Invoice.objects.get())
    client.force_login(billing_admin)
    few = _count(client, "/")
    overdue(late, days=-30)  # due again, so that more can be bought by invoice
    _many_invoices(tenant, billing_admin, 25)
    for invoice in Invoice.objects.all()[:10]:
        overdue(invoice)
    assert _count(client, "/") == few <= HOME_CREDITS_MAX_QUERIES
    assert page_of(client, "/").has_id("home-invoice-overdue")


# --- the Invoice option at checkout -------------------------------------------------------


def _choices(page, form_id) -> list[str]:
    return [i.attrs["value"] for i in page.by_id(form_id).find_all("input", name="payment")]


def test_the_set_up_offers_invoice_only_to_an_approved_tenant(client, tenant, billing_admin):
    client.force_login(billing_admin)
    page = parse(client.post(SETUP_URL, setup_post("100")).content)
    assert "invoice" not in _choices(page, "payment-form")
    invoicing_approved(tenant)
    page = parse(client.post(SETUP_URL, setup_post("100")).content)
    assert "invoice" in _choices(page, "payment-form")
    label = page.by_id("payment-form").text
    assert "Invoice (pay by bank transfer within 30 days)" in label


def test_an_invoice_posted_by_a_tenant_not_approved_is_refused_with_nothing_written(
    client, billing_admin
):
    client.force_login(billing_admin)
    before = counts()
    response = client.post(SETUP_URL, payment_post(payment="invoice"))
    assert "Select a valid choice" in parse(response.content).by_id("payment-form").text
    assert counts() == before


@pytest.fixture
def card_credits(tenant, billing_admin):
    card = saved_card(tenant)
    buy(tenant, billing_admin, "100", kind=OrderKind.PURCHASE,
        payment=Payment(type=PaymentType.CARD, card=card))
    return CreditAccount.objects.get(tenant=tenant)


def test_add_funds_and_change_payment_method_offer_invoice_only_when_approved(
    client, tenant, billing_admin, card_credits
):
    client.force_login(billing_admin)
    for url, form_id in ((ADD_FUNDS_URL, "add-funds-form"),
                         (PAYMENT_METHOD_URL, "payment-method-form")):
        assert "invoice" not in _choices(page_of(client, url), form_id), url
    approval = invoicing_approved(tenant)
    for url, form_id in ((ADD_FUNDS_URL, "add-funds-form"),
                         (PAYMENT_METHOD_URL, "payment-method-form")):
        assert "invoice" in _choices(page_of(client, url), form_id), url
    InvoicingApproval.objects.filter(pk=approval.pk).update(is_active=False,
                                                            revoked_at=timezone.now())
    assert "invoice" not in _choices(page_of(client, ADD_FUNDS_URL), "add-funds-form")


def test_a_billing_profile_paying_by_invoice_after_revocation_offers_a_card(
    client, tenant, billing_admin, card_credits
):
    billing_profile_write(account=card_credits, acting_user=None,
                          payment_type=PaymentType.INVOICE)
    client.force_login(billing_admin)
    page = page_of(client, ADD_FUNDS_URL)
    checked = [i.attrs["value"] for i in page.by_id("add-funds-form").find_all(
        "input", name="payment") if "checked" in i.attrs]
    assert checked == [f"card:{card_credits.tenant.payment_methods.get().pk}"]


def test_add_funds_by_invoice_beyond_the_limit_is_refused_with_the_figures(
    client, tenant, billing_admin, card_credits
):
    invoicing_approved(tenant, "300")
    buy(tenant, billing_admin, "200")
    client.force_login(billing_admin)
    before = counts()
    response = client.post(ADD_FUNDS_URL, {"amount": "150", "payment": "invoice",
                                           "token": token()}, HTTP_HX_REQUEST="true")
    error = parse(response.content).by_id("payment-error").text
    assert "$200.00 is already invoiced and unpaid, and the limit is $300.00" in error
    assert counts() == before


def test_add_funds_by_invoice_with_an_invoice_overdue_names_it(client, tenant, billing_admin,
                                                               card_credits):
    invoicing_approved(tenant, "1000")
    late = overdue(buy(tenant, billing_admin, "200").invoice)
    client.force_login(billing_admin)
    before = counts()
    response = client.post(ADD_FUNDS_URL, {"amount": "60", "payment": "invoice",
                                           "token": token()}, HTTP_HX_REQUEST="true")
    error = parse(response.content).by_id("payment-error").text
    assert f"Invoice {late.number} was due on {day(late.due_on)}" in error
    assert counts() == before


def test_change_payment_method_to_invoice_is_refused_while_an_invoice_is_overdue(
    client, tenant, billing_admin, card_credits
):
    invoicing_approved(tenant, "1000")
    late = overdue(buy(tenant, billing_admin, "200").invoice)
    client.force_login(billing_admin)
    response = client.post(PAYMENT_METHOD_URL, {"payment": "invoice"}, HTTP_HX_REQUEST="true")
    assert late.number in parse(response.content).by_id("payment-error").text
    card_credits.billing_profile.refresh_from_db()
    assert card_credits.billing_profile.payment_type == PaymentType.CARD
