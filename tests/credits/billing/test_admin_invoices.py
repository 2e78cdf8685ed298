"""The backoffice's invoicing pages: superusers approve a tenant for invoicing with a credit
limit, change it and revoke it (audited by the backoffice audit); they mark invoices paid
or void with actions that ask for the reason (audited by the invoice services), and
voiding takes back the unused funds. Bad input is refused with a message and nothing is
written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import AuditEvent
from credits.billing.rules import RechargeSettings
from credits.billing.selectors.invoices import invoicing_allowed
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.models import (
    CreditAccount,
    Invoice,
    InvoiceStatus,
    InvoicingApproval,
    LedgerEntry,
    OrderKind,
    PaymentType,
)
from tests.accounts.backoffice import admin_url, backoffice_events, change_post, form_data
from tests.accounts.factories import StaffFactory, TenantFactory
from tests.credits.factories import charge
from tests.credits.payments import invoicing_approved, token
from tests.html_text import parse

pytestmark = pytest.mark.django_db
REASON = "Bank transfer 2026-11-02 ref INV received"


@pytest.fixture
def staff(db):
    return StaffFactory(username="platform@console.example", display_name="Platform Ops")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def add_approval(client, tenant, limit, **extra):
    return client.post(admin_url(InvoicingApproval, "add"), {
        "tenant": tenant.pk, "credit_limit": limit, "is_active": "on", **extra,
    })


# --- approvals ------------------------------------------------------------------------


def test_approving_a_tenant_records_who_and_when_and_is_audited(staff_client, staff, tenant):
    assert not invoicing_allowed(tenant)
    response = add_approval(staff_client, tenant, "5000")
    assert response.status_code == 302
    approval = InvoicingApproval.objects.get()
    assert (approval.tenant, approval.credit_limit, approval.is_active) == (
        tenant, Decimal("5000"), True
    )
    assert approval.approved_by == staff
    assert timezone.now() - approval.approved_at < dt.timedelta(minutes=1)
    [event] = backoffice_events()
    assert (event.action, event.actor, event.tenant) == ("backoffice.add", staff, tenant)
    assert event.after == {"tenant": "Contoso", "credit_limit": "5000.0000", "is_active": True}
    assert invoicing_allowed(tenant)


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("", "Enter a credit limit."),
        ("-100", "The credit limit can&#x27;t be negative."),
        ("0", "The credit limit must be greater than zero"),
        ("5000.001", "Use at most 2 decimal places for USD."),
        ("2000000", "The credit limit can be at most $1,000,000.00."),
        ("five thousand", "Enter the amount as a number, for example 1,000.50."),
        ("25,5", "Use a point for decimals: 25.5"),
        ("x" * 41, "Ensure this value has at most 40 characters"),
    ],
)
def test_a_bad_credit_limit_is_refused_with_a_message_and_nothing_written(
    staff_client, tenant, limit, message
):
    response = add_approval(staff_client, tenant, limit)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not InvoicingApproval.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_limit_takes_the_tenants_currency_decimals(staff_client):
    tokyo = TenantFactory(name="Tokyo", slug="tokyo", country="JP", currency="JPY")
    response = add_approval(staff_client, tokyo, "1000.5")
    assert "Use whole amounts of JPY, without decimals." in response.content.decode()
    assert not InvoicingApproval.objects.exists()
    assert add_approval(staff_client, tokyo, "150000").status_code == 302


def test_an_approval_needs_a_tenant_and_only_one_per_tenant(staff_client, tenant):
    response = staff_client.post(admin_url(InvoicingApproval, "add"),
                                 {"tenant": "", "credit_limit": "100", "is_active": "on"})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    invoicing_approved(tenant)
    response = add_approval(staff_client, tenant, "100")
    assert response.status_code == 200
    assert "Invoicing approval with this Tenant already exists." in response.content.decode()
    assert InvoicingApproval.objects.count() == 1


def test_changing_the_limit_and_revoking_are_audited_and_take_effect(staff_client, staff,
                                                                     tenant):
    approval = invoicing_approved(tenant, "1000")
    response = change_post(staff_client, approval, {"credit_limit": "2500.50"})
    assert response.status_code == 302
    changed = backoffice_events()[-1]
    assert changed.before == {"credit_limit": "1000.0000"}
    assert changed.after == {"credit_limit": "2500.5000"}

    response = change_post(staff_client, approval, {}, unset=("is_active",))
    assert response.status_code == 302
    approval.refresh_from_db()
    assert not approval.is_active and approval.revoked_by == staff and approval.revoked_at
    revoked = backoffice_events()[-1]
    assert (revoked.before, revoked.after) == ({"is_active": True}, {"is_active": False})
    assert not invoicing_allowed(tenant)

    response = change_post(staff_client, approval, {"is_active": "on"})
    approval.refresh_from_db()
    assert approval.is_active and approval.revoked_at is None and approval.approved_by == staff
    assert invoicing_allowed(tenant)


def test_a_bad_limit_on_the_change_page_changes_nothing(staff_client, tenant):
    approval = invoicing_approved(tenant, "1000")
    before = AuditEvent.objects.count()
    response = change_post(staff_client, approval, {"credit_limit": "-1"})
    assert response.status_code == 200
    approval.refresh_from_db()
    assert approval.credit_limit == Decimal("1000")
    assert AuditEvent.objects.count() == before


def test_approvals_are_for_superusers_and_never_deleted(client, staff_client, tenant):
    approval = invoicing_approved(tenant)
    assert staff_client.get(admin_url(InvoicingApproval, "delete", approval.pk)).status_code == 403
    viewer = StaffFactory(is_superuser=False)
    viewer.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_invoicingapproval", "add_invoicingapproval",
                      "change_invoicingapproval"]
    ))
    client.force_login(viewer)
    assert client.get(admin_url(InvoicingApproval, "add")).status_code == 403
    assert add_approval(client, TenantFactory(slug="other-co"), "100").status_code == 403
    assert InvoicingApproval.objects.count() == 1


# --- invoices: mark paid, void --------------------------------------------------------


@pytest.fixture
def invoices(tenant, billing_admin):
    """Contoso approved up to $1,000: set up by invoice ($100), Add funds by invoice ($200)."""
    invoicing_approved(tenant, "1000")
    placed = []
    for kind, amount in ((OrderKind.PURCHASE, "100"), (OrderKind.TOP_UP, "200")):
        placed.append(order_place(
            tenant=tenant, acting_user=billing_admin, kind=kind, amount=Decimal(amount),
            payment=Payment(type=PaymentType.INVOICE), idempotency_key=token(),
            recharge=RechargeSettings(enabled=False) if kind == OrderKind.PURCHASE else None,
        ).invoice)
    return placed


def choose(client, action, invoices):
    return client.post(admin_url(Invoice, "changelist"), {
        "action": action, "index": "0", "_selected_action": [i.pk for i in invoices],
    })


def confirm(client, page, reason=REASON):
    data = form_data(page.content, "operation-form")
    data["reason"] = [reason]
    return client.post(admin_url(Invoice, "changelist"), data, follow=True)


def test_mark_paid_asks_for_the_reason_then_closes_the_invoice_audited(
    staff_client, staff, tenant, invoices
):
    first = invoices[0]
    page = choose(staff_client, "mark_paid", [first])
    assert page.status_code == 200
    assert first.number in parse(page.content).by_id("operation-objects").text
    assert Invoice.objects.get(pk=first.pk).status == InvoiceStatus.OPEN

    response = confirm(staff_client, page)
    assert shown_messages(response) == [f"Invoice {first.number} is marked paid."]
    paid = Invoice.objects.get(pk=first.pk)
    assert (paid.status, paid.closed_by, paid.close_reason) == (InvoiceStatus.PAID, staff,
                                                                 REASON)
    event = AuditEvent.objects.get(action="credits.invoice_paid")
    assert (event.actor, event.tenant) == (staff, tenant) and event.after["reason"] == REASON


@pytest.mark.parametrize(("reason", "message"), [
    ("", "Give the reason for this operation."),
    ("   ", "Give the reason for this operation."),
    ("x" * 501, "Ensure this value has at most 500 characters"),
])
@pytest.mark.parametrize("action", ["mark_paid", "void"])
def test_closing_without_a_good_reason_is_refused_and_changes_nothing(
    staff_client, invoices, action, reason, message
):
    page = choose(staff_client, action, invoices)
    data = form_data(page.content, "operation-form")
    data["reason"] = [reason]
    response = staff_client.post(admin_url(Invoice, "changelist"), data)
    assert message in parse(response.content).by_id("operation-form").text
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.OPEN}
    assert not AuditEvent.objects.filter(action__startswith="credits.invoice_").exists()
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()


def test_void_takes_back_the_unused_funds_and_says_how_much(staff_client, staff, tenant,
                                                          invoices):
    account = CreditAccount.objects.get(tenant=tenant)
    charge(account, "150")  # the set-up's 100, then 50 of the top-up's 200
    second = invoices[1]
    page = choose(staff_client, "void", [second])
    details = parse(page.content).by_id("operation-details").text
    assert "Unused funds of its lot" in details and "$150" in details

    response = confirm(staff_client, page, "Ordered twice by mistake")
    assert shown_messages(response) == [
        f"Invoice {second.number} is void; $150.00 of unused funds were taken back."
    ]
    account.refresh_from_db()
    assert account.balance == Decimal("0")
    voided = Invoice.objects.get(pk=second.pk)
    assert voided.status == InvoiceStatus.VOID and voided.void_entry.amount == Decimal("-150")
    event = AuditEvent.objects.get(action="credits.invoice_void")
    assert event.actor == staff and event.after["funds_taken_back"] == "150.0000"


def test_a_paid_or_void_invoice_never_changes_again(staff_client, invoices):
    first, second = invoices
    confirm(staff_client, choose(staff_client, "mark_paid", [first]))
    confirm(staff_client, choose(staff_client, "void", [second]))
    entries = LedgerEntry.objects.count()
    response = confirm(staff_client, choose(staff_client, "void", [first, second]))
    assert shown_messages(response) == [
        f"Invoice {first.number} is already paid: a paid or void invoice can't change again.",
        f"Invoice {second.number} is already void: a paid or void invoice can't change again.",
    ]
    response = confirm(staff_client, choose(staff_client, "mark_paid", [second]))
    assert "already void" in shown_messages(response)[0]
    assert [i.status for i in Invoice.objects.order_by("pk")] == [InvoiceStatus.PAID,
                                                                  InvoiceStatus.VOID]
    assert LedgerEntry.objects.count() == entries


def test_the_same_page_submitted_twice_closes_once(staff_client, invoices):
    page = choose(staff_client, "void", [invoices[1]])
    confirm(staff_client, page)
    response = confirm(staff_client, page)
    assert "already void" in shown_messages(response)[0]
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 1


def test_staff_without_superuser_are_not_offered_the_actions(client, invoices):
    viewer = StaffFactory(is_superuser=False)
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_invoice"))
    client.force_login(viewer)
    page = client.get(admin_url(Invoice, "changelist"))
    assert page.status_code == 200 and b"mark_paid" not in page.content
    response = choose(client, "mark_paid", invoices)
    assert b'id="operation-form"' not in response.content
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.OPEN}


def test_the_changelist_filters_overdue_invoices(staff_client, invoices):
    late = invoices[0]
    Invoice.objects.filter(pk=late.pk).update(due_on=dt.date(2020, 1, 31))
    page = staff_client.get(admin_url(Invoice, "changelist"), {"state": "overdue"})
    body = page.content.decode()
    assert late.number in body and invoices[1].number not in body and "Overdue" in body
    page = staff_client.get(admin_url(Invoice, "changelist"), {"state": "open"})
    assert invoices[1].number in page.content.decode()
    assert late.number not in page.content.decode()
