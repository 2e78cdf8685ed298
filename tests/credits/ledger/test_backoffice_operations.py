"""Staff operations on the ledger in the backoffice: admin actions with an intermediate
page that asks for a reason (and an amount), then call the ledger's services, audited.

Issue a credit and post a debit correction (``entry_adjust``), suspend and resume an
account, reverse entries (``entry_reverse``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import AuditEvent
from credits.common.dates import lot_expires_at
from credits.ledger.choices import CreditAccountStatus, EntryKind
from credits.models import CreditAccount, FundSource, LedgerEntry
from tests.accounts.backoffice import admin_url, form_data
from tests.accounts.factories import StaffFactory
from tests.credits.factories import CreditAccountFactory, charge, fund, ledger_snapshot
from tests.html_text import parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return StaffFactory(username="platform@console.example")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def funded(account):
    """Contoso's account with 100 USD bought now and 12.50 USD spent."""
    fund(account, "100")
    charge(account, "12.5")
    account.refresh_from_db()
    return account


def _action(client, model, action: str, objects, **fields):
    """Choose ``action`` for ``objects`` in the changelist (the first post)."""
    return client.post(admin_url(model, "changelist"), {
        "action": action, "index": "0", "_selected_action": [o.pk for o in objects], **fields,
    })


def _confirm(client, model, page, **fields):
    """Fill the intermediate page's form and confirm it (the second post)."""
    data = form_data(page.content, "operation-form")
    data.update({name: [value] for name, value in fields.items()})
    return client.post(admin_url(model, "changelist"), data)


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def _errors(page) -> str:
    return parse(page.content).by_id("operation-form").text


def _credit(client, account, amount, reason="Goodwill for the outage on 3 May"):
    page = _action(client, CreditAccount, "issue_credit", [account])
    return page, _confirm(client, CreditAccount, page, amount=amount, reason=reason)


# ----------------------------------------------------------------------- issue a credit


def test_choosing_issue_credit_shows_a_page_asking_for_amount_and_reason(staff_client, funded):
    before = ledger_snapshot(funded)
    page = _action(staff_client, CreditAccount, "issue_credit", [funded])
    assert page.status_code == 200
    fields = form_data(page.content, "operation-form")
    assert {"amount", "reason", "token", "action", "_selected_action"} <= set(fields)
    assert fields["action"] == ["issue_credit"]
    assert "Contoso" in parse(page.content).by_id("operation-objects").text
    assert "$87.50" in parse(page.content).by_id("operation-details").text
    assert ledger_snapshot(funded) == before


def test_staff_issue_a_credit_as_a_new_lot_expiring_in_12_months(staff_client, staff, funded):
    page, response = _credit(staff_client, funded, "25.00")
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(account=funded, kind=EntryKind.ADJUSTMENT)
    assert entry.amount == Decimal("25") and entry.acting_user == staff
    assert entry.memo == "Goodwill for the outage on 3 May"
    lot = entry.lot
    assert lot.source == FundSource.ADJUSTMENT and lot.remaining == Decimal("25")
    assert lot.expires_at == lot_expires_at(lot.purchased_at)
    assert lot.expires_at > timezone.now() + dt.timedelta(days=360)
    funded.refresh_from_db()
    assert funded.balance == Decimal("112.5")
    event = AuditEvent.objects.get(action="credits.entry_adjust")
    assert (event.actor, event.tenant) == (staff, funded.tenant)
    assert event.before == {"balance": "87.5000"}
    assert event.after["balance"] == "112.5000"
    assert event.after["memo"] == "Goodwill for the outage on 3 May"
    assert any("Issued a credit of $25.00" in m for m in _messages(response))


def test_a_double_submit_of_the_same_page_posts_once(staff_client, funded):
    page = _action(staff_client, CreditAccount, "issue_credit", [funded])
    first = _confirm(staff_client, CreditAccount, page, amount="25", reason="Goodwill")
    second = _confirm(staff_client, CreditAccount, page, amount="25", reason="Goodwill")
    assert first.status_code == second.status_code == 302
    assert LedgerEntry.objects.filter(account=funded, kind=EntryKind.ADJUSTMENT).count() == 1
    assert AuditEvent.objects.filter(action="credits.entry_adjust").count() == 1
    assert any("nothing was posted again" in m for m in _messages(second))


def test_each_page_is_a_new_operation(staff_client, funded):
    _credit(staff_client, funded, "25")
    _credit(staff_client, funded, "25")
    assert LedgerEntry.objects.filter(account=funded, kind=EntryKind.ADJUSTMENT).count() == 2


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter an amount."),
        ("   ", "Enter an amount."),
        ("ten", "Enter the amount as a number, for example 1,000.50."),
        ("25,5", "Use a point for decimals: 25.5"),
        ("NaN", "Enter the amount as a number, for example 1,000.50."),
        ("-5", "The amount must be greater than zero"),
        ("0", "The amount must be greater than zero"),
        ("0.001", "at most 2 decimal places in USD"),
        ("12.345", "at most 2 decimal places in USD"),
        ("10000000.01", "over the maximum of 10,000,000 for one posting"),
        ("10,000,000.01", "over the maximum of 10,000,000 for one posting"),
        ("1e12", "without an exponent"),
    ],
)
def test_amounts_typed_by_staff_are_checked_and_nothing_is_posted(
    staff_client, funded, amount, message
):
    before = ledger_snapshot(funded)
    page, response = _credit(staff_client, funded, amount)
    assert response.status_code == 200
    assert message in _errors(response)
    assert ledger_snapshot(funded) == before


def test_the_amount_follows_the_currency_decimals(staff_client, tenant):
    tenant.currency = "JPY"
    tenant.save()
    account = CreditAccountFactory(tenant=tenant)
    page, response = _credit(staff_client, account, "100.5")
    assert "whole amounts of JPY" in _errors(response)
    page, response = _credit(staff_client, account, "100")
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.balance == Decimal("100")


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_an_operation_without_a_reason_is_refused(staff_client, funded, reason):
    before = ledger_snapshot(funded)
    page, response = _credit(staff_client, funded, "25", reason=reason)
    assert response.status_code == 200
    assert "Give the reason for this operation." in _errors(response)
    assert ledger_snapshot(funded) == before


def test_a_page_without_its_token_is_refused(staff_client, funded):
    before = ledger_snapshot(funded)
    page = _action(staff_client, CreditAccount, "issue_credit", [funded])
    response = _confirm(staff_client, CreditAccount, page, amount="25", reason="x", token="")
    assert "This page has expired" in _errors(response)
    assert ledger_snapshot(funded) == before


def test_a_closed_account_takes_no_credit(staff_client, funded):
    CreditAccount.objects.filter(pk=funded.pk).update(status=CreditAccountStatus.CLOSED)
    before = ledger_snapshot(funded)
    page, response = _credit(staff_client, funded, "25")
    assert response.status_code == 200
    assert "is closed: it takes no new funds" in _errors(response)
    assert ledger_snapshot(funded) == before


def test_operations_on_one_account_need_exactly_one_selected(staff_client, funded, other_account):
    response = _action(staff_client, CreditAccount, "issue_credit", [funded, other_account])
    assert response.status_code == 302
    assert "Select exactly one credit account" in " ".join(_messages(response))


# ------------------------------------------------------------------ debit correction


def _debit(client, account, amount, reason="Duplicate top-up"):
    page = _action(client, CreditAccount, "debit_correction", [account])
    return page, _confirm(client, CreditAccount, page, amount=amount, reason=reason)


def test_staff_post_a_debit_correction(staff_client, staff, funded):
    page, response = _debit(staff_client, funded, "10")
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(account=funded, kind=EntryKind.ADJUSTMENT)
    assert entry.amount == Decimal("-10") and entry.memo == "Duplicate top-up"
    funded.refresh_from_db()
    assert funded.balance == Decimal("77.5")
    event = AuditEvent.objects.get(action="credits.entry_adjust")
    assert event.actor == staff and event.after["amount"] == "-10.0000"


def test_a_debit_correction_beyond_the_usable_funds_is_refused(staff_client, funded):
    before = ledger_snapshot(funded)
    page, response = _debit(staff_client, funded, "87.51")
    assert response.status_code == 200
    assert "only 87.5000 USD of unexpired funds are left" in _errors(response)
    assert ledger_snapshot(funded) == before


def test_expired_funds_are_not_usable_for_a_debit_correction(staff_client, account):
    fund(account, "100", at=timezone.now() - dt.timedelta(days=400))
    before = ledger_snapshot(account)
    page = _action(staff_client, CreditAccount, "debit_correction", [account])
    assert "$0.00" in parse(page.content).by_id("operation-details").text
    response = _confirm(staff_client, CreditAccount, page, amount="1", reason="x")
    assert "only 0.0000 USD of unexpired funds are left" in _errors(response)
    assert ledger_snapshot(account) == before


# ------------------------------------------------------------------- suspend and resume


def _status(client, action, accounts, reason="Fraud review"):
    page = _action(client, CreditAccount, action, accounts)
    return _confirm(client, CreditAccount, page, reason=reason)


def test_staff_suspend_and_resume_accounts_audited(staff_client, staff, funded, other_account):
    response = _status(staff_client, "suspend_accounts", [funded, other_account])
    assert response.status_code == 302
    assert set(CreditAccount.objects.values_list("status", flat=True)) == {"suspended"}
    events = AuditEvent.objects.filter(action="credits.account_suspend")
    assert events.count() == 2
    event = events.get(tenant=funded.tenant)
    assert event.actor == staff
    assert event.before == {"status": "active"}
    assert event.after == {"status": "suspended", "reason": "Fraud review"}

    response = _status(staff_client, "resume_accounts", [funded], reason="Review done")
    funded.refresh_from_db()
    other_account.refresh_from_db()
    assert (funded.status, other_account.status) == ("active", "suspended")
    event = AuditEvent.objects.get(action="credits.account_resume")
    assert event.before == {"status": "suspended"}
    assert event.after == {"status": "active", "reason": "Review done"}


def test_suspending_a_suspended_account_changes_nothing(staff_client, funded):
    _status(staff_client, "suspend_accounts", [funded])
    response = _status(staff_client, "suspend_accounts", [funded])
    assert "was already suspended" in " ".join(_messages(response))
    assert AuditEvent.objects.filter(action="credits.account_suspend").count() == 1


def test_a_closed_account_cannot_be_resumed(staff_client, funded):
    CreditAccount.objects.filter(pk=funded.pk).update(status=CreditAccountStatus.CLOSED)
    response = _status(staff_client, "resume_accounts", [funded])
    assert "is closed: it can't be resumed" in " ".join(_messages(response))
    funded.refresh_from_db()
    assert funded.status == CreditAccountStatus.CLOSED
    assert not AuditEvent.objects.filter(action="credits.account_resume").exists()


def test_suspending_needs_a_reason(staff_client, funded):
    response = _status(staff_client, "suspend_accounts", [funded], reason=" ")
    assert response.status_code == 200
    assert "Give the reason for this operation." in _errors(response)
    funded.refresh_from_db()
    assert funded.status == CreditAccountStatus.ACTIVE


# ------------------------------------------------------------------------- reversals


def _reverse(client, entries, reason="Charged twice"):
    page = _action(client, LedgerEntry, "reverse_entries", entries)
    return page, _confirm(client, LedgerEntry, page, reason=reason)


def test_staff_reverse_an_entry_with_the_reason_as_memo(staff_client, staff, funded):
    usage = LedgerEntry.objects.get(account=funded, kind=EntryKind.USAGE)
    page, response = _reverse(staff_client, [usage])
    assert response.status_code == 302
    reversal = LedgerEntry.objects.get(reverses=usage)
    assert reversal.amount == Decimal("12.5") and reversal.memo == "Charged twice"
    assert reversal.acting_user == staff
    funded.refresh_from_db()
    assert funded.balance == Decimal("100")
    assert AuditEvent.objects.get(action="credits.entry_reverse").actor == staff
    assert f"is reversed by entry #{reversal.pk}" in " ".join(_messages(response))


def test_a_double_submit_reverses_once(staff_client, funded):
    usage = LedgerEntry.objects.get(account=funded, kind=EntryKind.USAGE)
    page = _action(staff_client, LedgerEntry, "reverse_entries", [usage])
    _confirm(staff_client, LedgerEntry, page, reason="Charged twice")
    again = _confirm(staff_client, LedgerEntry, page, reason="Charged twice")
    assert LedgerEntry.objects.filter(reverses=usage).count() == 1
    assert "nothing was posted again" in " ".join(_messages(again))


def test_an_entry_that_cannot_be_reversed_is_refused_with_the_reason(staff_client, account):
    fund(account, "100", at=timezone.now() - dt.timedelta(days=400))
    charge(account, "1")  # posting expires the old lot first
    expiry = LedgerEntry.objects.get(account=account, kind=EntryKind.EXPIRY)
    before = ledger_snapshot(account)
    page, response = _reverse(staff_client, [expiry])
    assert "cannot be reversed" in " ".join(_messages(response))
    assert ledger_snapshot(account) == before


def test_reversing_needs_a_reason(staff_client, funded):
    usage = LedgerEntry.objects.get(account=funded, kind=EntryKind.USAGE)
    page, response = _reverse(staff_client, [usage], reason="")
    assert response.status_code == 200
    assert "Give the reason for this operation." in _errors(response)
    assert not LedgerEntry.objects.filter(reverses=usage).exists()


# ------------------------------------------------------------------------- who may


def test_staff_without_superuser_see_the_ledger_but_not_the_operations(client, funded):
    viewer = StaffFactory(is_superuser=False)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_creditaccount", "view_ledgerentry"])
    )
    client.force_login(viewer)
    page = client.get(admin_url(CreditAccount, "changelist"))
    assert page.status_code == 200
    assert b"issue_credit" not in page.content
    before = ledger_snapshot(funded)
    response = _action(client, CreditAccount, "issue_credit", [funded])
    assert b'id="operation-form"' not in response.content  # the action isn't offered
    assert ledger_snapshot(funded) == before
    page = client.get(admin_url(LedgerEntry, "changelist"))
    assert b"reverse_entries" not in page.content
