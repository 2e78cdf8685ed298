"""Invoices with a credit line: paying by invoice needs an invoicing approval; each
invoice order gets a numbered invoice, due net 30; funds appear while the unpaid invoices
stay within the credit limit; an overdue invoice blocks further invoice purchases; the
checks run before anything is written and again when the order completes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import AuditEvent
from credits.billing.rules import INVOICE_NET_DAYS, RechargeSettings
from credits.billing.services.auto_recharge import recharge_check
from credits.billing.services.checks import Payment, payment_check
from credits.billing.services.invoices import (
    invoice_issue,
    invoice_mark_paid,
    invoice_void,
    invoicing_approve,
)
from credits.billing.services.orders import (
    order_fingerprint,
    order_pay,
    order_pending_create,
    order_place,
)
from credits.billing.services.recharge_settings import billing_profile_write
from credits.exceptions import (
    CreditLimitExceeded,
    InvalidCreditLimit,
    InvoiceClosed,
    InvoiceError,
    InvoiceOverdue,
    InvoicingNotApproved,
    PaymentDeclined,
)
from credits.ledger.verification import account_verify
from credits.models import (
    CreditAccount,
    Invoice,
    InvoiceSequence,
    InvoiceStatus,
    InvoicingApproval,
    LedgerEntry,
    Notification,
    NotificationKind,
    Order,
    OrderKind,
    OrderStatus,
    PaymentType,
)
from tests.accounts.factories import StaffFactory
from tests.credits.factories import charge, fund
from tests.credits.payments import counts, invoicing_approved, saved_card, token
from tests.credits.recharge_helpers import auto_recharge_account

pytestmark = pytest.mark.django_db

INVOICE = Payment(type=PaymentType.INVOICE)


def buy(tenant, user, amount, *, kind=OrderKind.TOP_UP, payment=INVOICE, key=None) -> Order:
    """Place an order through the one way orders are placed."""
    recharge = RechargeSettings(enabled=False) if kind == OrderKind.PURCHASE else None
    return order_place(
        tenant=tenant, acting_user=user, kind=kind, amount=Decimal(amount), payment=payment,
        idempotency_key=key or token(), recharge=recharge,
    )


@pytest.fixture
def invoiced(tenant, billing_admin):
    """Contoso, approved for invoicing up to $1,000, with credits set up by invoice ($100)."""
    invoicing_approved(tenant, "1000")
    buy(tenant, billing_admin, "100", kind=OrderKind.PURCHASE)
    return tenant


def overdue(invoice: Invoice, days: int = 1) -> Invoice:
    """Move an invoice back in time so that it was due ``days`` days ago."""
    today = timezone.now().astimezone(dt.UTC).date()
    due = today - dt.timedelta(days=days)
    issued = dt.datetime.combine(due - dt.timedelta(days=INVOICE_NET_DAYS), dt.time(12),
                                 tzinfo=dt.UTC)
    Invoice.objects.filter(pk=invoice.pk).update(issued_at=issued, due_on=due)
    invoice.refresh_from_db()
    return invoice


# --- approval -----------------------------------------------------------------------


def test_a_tenant_not_approved_is_refused_before_anything_is_written(tenant, billing_admin):
    before = counts()
    with pytest.raises(InvoicingNotApproved) as refused:
        buy(tenant, billing_admin, "100", kind=OrderKind.PURCHASE)
    assert "isn't approved to pay by invoice" in refused.value.message
    assert refused.value.code == "invoicing_not_approved"
    assert counts() == before


def test_a_revoked_approval_refuses_invoices_again(tenant, billing_admin):
    approval = invoicing_approved(tenant, "1000")
    InvoicingApproval.objects.filter(pk=approval.pk).update(
        is_active=False, revoked_at=timezone.now()
    )
    with pytest.raises(InvoicingNotApproved):
        payment_check(tenant, INVOICE, amount=Decimal("100"))


def test_approving_is_audited_and_a_second_approval_changes_the_limit(tenant, global_admin):
    approval = invoicing_approve(tenant=tenant, credit_limit=Decimal("2500"))
    assert (approval.credit_limit, approval.is_active) == (Decimal("2500"), True)
    again = invoicing_approve(tenant=tenant, credit_limit="4000.50")
    assert again.pk == approval.pk and again.credit_limit == Decimal("4000.50")
    events = list(AuditEvent.objects.filter(action="credits.invoicing_approve").order_by("id"))
    assert [e.after["credit_limit"] for e in events] == ["2500.0000", "4000.5000"]
    assert events[1].before["credit_limit"] == "2500.0000"


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("", "Enter a credit limit."),
        ("   ", "Enter a credit limit."),
        (None, "Enter a credit limit."),
        ("abc", "Enter the amount as a number, for example 1,000.50."),
        ("12abc", "Enter the amount as a number, for example 1,000.50."),
        ("NaN", "Enter the amount as a number, for example 1,000.50."),
        ("Infinity", "Enter the amount as a number, for example 1,000.50."),
        ("1e400", "without an exponent"),
        ("2,000,000", "at most $1,000,000.00"),
        ("-5", "can't be negative"),
        ("0", "must be greater than zero"),
        ("10.005", "Use at most 2 decimal places for USD."),
        ("1000000.01", "at most $1,000,000.00"),
        ("99999999999", "at most $1,000,000.00"),
    ],
)
def test_a_bad_credit_limit_is_refused_and_nothing_is_written(tenant, limit, message):
    with pytest.raises(InvalidCreditLimit) as refused:
        invoicing_approve(tenant=tenant, credit_limit=limit)
    assert message in refused.value.message
    assert not InvoicingApproval.objects.exists()
    assert not AuditEvent.objects.filter(action="credits.invoicing_approve").exists()


# --- the invoice --------------------------------------------------------------------


def test_an_invoice_order_gets_its_invoice_in_the_same_completion(invoiced, billing_admin):
    order = buy(invoiced, billing_admin, "250", payment=Payment(type=PaymentType.INVOICE,
                                                                  po_number="PO-9"))
    invoice = Invoice.objects.get(order=order)
    issued_on = order.completed_at.astimezone(dt.UTC).date()
    assert invoice.number == f"INV-{issued_on.year}-000002"  # the set-up's invoice is 1
    assert invoice.issued_at == order.completed_at
    assert invoice.due_on == issued_on + dt.timedelta(days=30)
    assert (invoice.status, invoice.amount, invoice.currency) == (
        InvoiceStatus.OPEN, Decimal("250"), "USD"
    )
    assert invoice.lot == order.ledger_entry.lot and invoice.tenant == invoiced
    assert not invoice.is_overdue and invoice.status_label == "Open"
    assert CreditAccount.objects.get(tenant=invoiced).balance == Decimal("350")


def test_card_and_agreement_orders_get_no_invoice(tenant, billing_admin):
    card = saved_card(tenant)
    buy(tenant, billing_admin, "100", kind=OrderKind.PURCHASE,
        payment=Payment(type=PaymentType.CARD, card=card))
    assert not Invoice.objects.exists()


def _completed_invoice_order(tenant, completed_at) -> Order:
    """A succeeded invoice order completed at ``completed_at`` (UTC), with its funds."""
    entry = fund(CreditAccount.objects.get(tenant=tenant), "50")
    return Order.objects.create(
        tenant=tenant, kind=OrderKind.TOP_UP, status=OrderStatus.SUCCEEDED,
        amount=Decimal("50"), currency="USD", payment_type=PaymentType.INVOICE,
        idempotency_key=token(), fingerprint="x", ledger_entry=entry, completed_at=completed_at,
    )


def test_numbers_follow_one_another_within_a_year_and_start_again_the_next(
    invoiced, billing_admin
):
    first = Invoice.objects.get()
    year = first.issued_at.astimezone(dt.UTC).year
    second = Invoice.objects.get(order=buy(invoiced, billing_admin, "50"))
    assert [first.number, second.number] == [f"INV-{year}-000001", f"INV-{year}-000002"]
    assert InvoiceSequence.objects.get(year=year).last == 2

    new_years_eve = _completed_invoice_order(
        invoiced, dt.datetime(year + 1, 12, 31, 23, 59, tzinfo=dt.UTC)
    )
    new_year = _completed_invoice_order(invoiced, dt.datetime(year + 2, 1, 1, 0, 1, tzinfo=dt.UTC))
    late = invoice_issue(order=new_years_eve, lot=new_years_eve.ledger_entry.lot)
    early = invoice_issue(order=new_year, lot=new_year.ledger_entry.lot)
    assert (late.number, late.due_on) == (f"INV-{year + 1}-000001", dt.date(year + 2, 1, 30))
    assert (early.number, early.due_on) == (f"INV-{year + 2}-000001", dt.date(year + 2, 1, 31))


# --- the credit line ----------------------------------------------------------------


def test_orders_within_the_limit_succeed_and_reaching_it_exactly_is_allowed(
    invoiced, billing_admin
):
    buy(invoiced, billing_admin, "400")
    buy(invoiced, billing_admin, "500")  # 100 + 400 + 500 = the limit of 1,000
    assert Invoice.objects.filter(status=InvoiceStatus.OPEN).count() == 3
    assert CreditAccount.objects.get(tenant=invoiced).balance == Decimal("1000")


def test_an_order_passing_the_limit_is_refused_with_the_figures_and_nothing_written(
    invoiced, billing_admin
):
    buy(invoiced, billing_admin, "600")
    before = counts()
    with pytest.raises(CreditLimitExceeded) as refused:
        buy(invoiced, billing_admin, "350")
    message = refused.value.message
    assert "Paying $350.00 by invoice would pass your credit limit" in message
    assert "$700.00 is already invoiced and unpaid" in message
    assert "the limit is $1,000.00" in message and "at most $300.00 more" in message
    assert (refused.value.outstanding, refused.value.limit) == (Decimal("700"), Decimal("1000"))
    assert counts() == before


def test_paid_and_void_invoices_no_longer_count_against_the_limit(invoiced, billing_admin):
    first = Invoice.objects.get(order=buy(invoiced, billing_admin, "450"))
    second = Invoice.objects.get(order=buy(invoiced, billing_admin, "450"))  # 1,000 owed
    with pytest.raises(CreditLimitExceeded):
        payment_check(invoiced, INVOICE, amount=Decimal("50"))
    invoice_mark_paid(invoice=first, acting_user=None, reason="Transfer received")
    invoice_void(invoice=second, acting_user=None, reason="Ordered twice")
    payment_check(invoiced, INVOICE, amount=Decimal("900"))  # only the set-up's 100 owed


def test_a_pending_invoice_order_counts_against_the_limit(invoiced):
    order_pending_create(
        tenant=invoiced, kind=OrderKind.TOP_UP, amount=Decimal("800"), payment=INVOICE,
        idempotency_key=token(), fingerprint="x",
    )
    with pytest.raises(CreditLimitExceeded) as refused:
        payment_check(invoiced, INVOICE, amount=Decimal("150"))
    assert refused.value.outstanding == Decimal("900")


def test_an_overdue_invoice_blocks_invoice_purchases_and_names_itself(invoiced, billing_admin):
    invoice = overdue(Invoice.objects.get())
    assert invoice.is_overdue and invoice.status_label == "Overdue"
    before = counts()
    with pytest.raises(InvoiceOverdue) as refused:
        buy(invoiced, billing_admin, "50")
    due = date_format(invoice.due_on, "DATE_FORMAT")  # e.g. Nov. 29, 2026
    assert refused.value.message.startswith(
        f"Invoice {invoice.number} was due on {due} and is still unpaid"
    )
    assert counts() == before
    card = saved_card(invoiced)  # other ways to pay still work
    buy(invoiced, billing_admin, "50", payment=Payment(type=PaymentType.CARD, card=card))


def test_an_invoice_on_its_due_date_is_not_overdue_yet(invoiced, billing_admin):
    invoice = overdue(Invoice.objects.get(), days=0)
    assert not invoice.is_overdue
    buy(invoiced, billing_admin, "50")


# --- checked again when the order completes -------------------------------------------


def _pending_invoice_order(tenant, amount="300") -> Order:
    amount = Decimal(amount)
    return order_pending_create(
        tenant=tenant, kind=OrderKind.TOP_UP, amount=amount, payment=INVOICE,
        idempotency_key=token(),
        fingerprint=order_fingerprint(kind=OrderKind.TOP_UP, amount=amount, currency="USD",
                                      payment=INVOICE),
    )


def test_an_approval_revoked_before_completion_fails_the_order_with_the_reason(invoiced):
    order = _pending_invoice_order(invoiced)
    InvoicingApproval.objects.filter(tenant=invoiced).update(
        is_active=False, revoked_at=timezone.now()
    )
    with pytest.raises(PaymentDeclined) as declined:
        order_pay(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED and order.failure_code == "invoicing_not_approved"
    assert "isn't approved to pay by invoice" in order.failure_reason
    assert "no funds were added" in declined.value.message
    assert not Invoice.objects.filter(order=order).exists()
    assert CreditAccount.objects.get(tenant=invoiced).balance == Decimal("100")


def test_a_limit_lowered_before_completion_fails_the_order_with_the_figures(invoiced):
    order = _pending_invoice_order(invoiced, "300")
    InvoicingApproval.objects.filter(tenant=invoiced).update(credit_limit=Decimal("350"))
    with pytest.raises(PaymentDeclined):
        order_pay(order)
    order.refresh_from_db()
    assert order.failure_code == "credit_limit_exceeded"
    assert "$100.00 is already invoiced" in order.failure_reason  # not counting itself
    assert "the limit is $350.00" in order.failure_reason


# --- auto-recharge paid by invoice ----------------------------------------------------


def _recharging_by_invoice(tenant):
    account = auto_recharge_account(tenant, balance="100", amount="50", trigger="20")
    billing_profile_write(account=account, acting_user=None, payment_type=PaymentType.INVOICE)
    return account


def test_an_auto_recharge_by_invoice_without_approval_fails_with_the_reason(
    tenant, global_admin, django_capture_on_commit_callbacks
):
    account = _recharging_by_invoice(tenant)
    charge(account, "85")
    with django_capture_on_commit_callbacks(execute=True):
        order = recharge_check(account=account)
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED and order.failure_code == "invoicing_not_approved"
    account.refresh_from_db()
    assert account.balance == Decimal("15") and not Invoice.objects.exists()
    notice = Notification.objects.get(kind=NotificationKind.RECHARGE_FAILED)
    assert "isn't approved to pay by invoice" in notice.params["reason"]


def test_an_auto_recharge_by_invoice_with_approval_is_invoiced(
    tenant, global_admin, django_capture_on_commit_callbacks
):
    account = _recharging_by_invoice(tenant)
    invoicing_approved(tenant, "500")
    charge(account, "85")
    with django_capture_on_commit_callbacks(execute=True):
        order = recharge_check(account=account)
    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCEEDED
    assert Invoice.objects.get().order == order and Invoice.objects.get().amount == Decimal("50")


# --- marked paid or void by platform staff ---------------------------------------------


def test_marking_paid_closes_the_invoice_audited_and_it_never_changes_again(
    invoiced, billing_admin
):
    staff = StaffFactory()
    invoice = Invoice.objects.get()
    paid = invoice_mark_paid(invoice=invoice, acting_user=staff, reason="Transfer 2291 received")
    assert (paid.status, paid.closed_by, paid.close_reason) == (
        InvoiceStatus.PAID, staff, "Transfer 2291 received"
    )
    assert paid.paid_at is not None and paid.status_label == "Paid"
    event = AuditEvent.objects.get(action="credits.invoice_paid")
    assert (event.actor, event.tenant, event.target) == (staff, invoiced,
                                                         f"Invoice {invoice.number}")
    assert (event.before["status"], event.after["status"]) == ("open", "paid")
    for close in (invoice_mark_paid, invoice_void):
        with pytest.raises(InvoiceClosed, match="already paid"):
            close(invoice=invoice, acting_user=staff, reason="Again")
    assert CreditAccount.objects.get(tenant=invoiced).balance == Decimal("100")  # kept


def test_voiding_takes_back_the_unused_funds_of_its_lot(invoiced, billing_admin):
    staff = StaffFactory()
    account = CreditAccount.objects.get(tenant=invoiced)
    card = saved_card(invoiced)
    buy(invoiced, billing_admin, "80", payment=Payment(type=PaymentType.CARD, card=card))
    invoice = Invoice.objects.get(order=buy(invoiced, billing_admin, "200"))
    charge(account, "290")  # the set-up's 100, the card's 80, then 110 of the invoice's 200
    voided = invoice_void(invoice=invoice, acting_user=staff, reason="Ordered by mistake")
    assert voided.status == InvoiceStatus.VOID and voided.voided_at is not None
    entry = voided.void_entry
    assert (entry.amount, entry.lot, entry.kind) == (Decimal("-90"), invoice.lot, "adjustment")
    assert (entry.reference_type, entry.reference_id) == ("invoice", str(invoice.pk))
    assert entry.memo == f"Invoice {invoice.number} void: Ordered by mistake"
    account.refresh_from_db()
    assert account.balance == Decimal("0")
    event = AuditEvent.objects.get(action="credits.invoice_void")
    assert event.after["funds_taken_back"] == "90.0000" and event.actor == staff
    assert AuditEvent.objects.filter(action="credits.lot_withdraw").count() == 1
    with pytest.raises(InvoiceClosed, match="already void"):
        invoice_void(invoice=invoice, acting_user=staff, reason="Again")
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 1
    assert account_verify(account) == []


def test_voiding_an_invoice_whose_funds_were_spent_takes_nothing(invoiced):
    account = CreditAccount.objects.get(tenant=invoiced)
    charge(account, "100")
    voided = invoice_void(invoice=Invoice.objects.get(), acting_user=None, reason="Disputed")
    assert voided.status == InvoiceStatus.VOID and voided.void_entry is None
    assert AuditEvent.objects.get(action="credits.invoice_void").after["funds_taken_back"] == "0"


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_closing_an_invoice_needs_a_reason(invoiced, reason):
    invoice = Invoice.objects.get()
    for close in (invoice_mark_paid, invoice_void):
        with pytest.raises(InvoiceError, match="Give the reason"):
            close(invoice=invoice, acting_user=None, reason=reason)
    assert Invoice.objects.get().status == InvoiceStatus.OPEN
