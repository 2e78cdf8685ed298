"""Adding funds: a lot per funding, 12-month expiry, the deficit covered first."""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from credits.common.dates import lot_expires_at
from credits.exceptions import AccountClosed, LedgerError
from credits.ledger import services as ledger
from credits.ledger.verification import account_verify
from credits.models import CreditAccount, CreditAccountStatus, EntryKind, FundSource
from tests.accounts.factories import StaffFactory
from tests.credits.factories import T0, charge, fund, ledger_snapshot, lot_remaining


def test_funding_creates_a_lot_and_an_entry(account):
    entry = fund(account, "100.00", at=T0, reference_type="order", reference_id="42")

    assert entry.kind == EntryKind.PURCHASE
    assert entry.amount == Decimal("100") and entry.balance_after == Decimal("100")
    assert entry.reference == "order:42"
    lot = entry.lot
    assert (lot.source, lot.amount, lot.remaining) == (FundSource.PURCHASE, 100, 100)
    assert lot.purchased_at == T0 and lot.expires_at == lot_expires_at(T0)
    assert account.balance == Decimal("100")
    assert CreditAccount.objects.get(pk=account.pk).balance == Decimal("100")
    assert account_verify(account) == []


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        (FundSource.PURCHASE, EntryKind.PURCHASE),
        (FundSource.TOP_UP, EntryKind.TOP_UP),
        (FundSource.AUTO_RECHARGE, EntryKind.RECHARGE),
    ],
)
def test_each_funding_source_writes_its_entry_kind(account, source, kind):
    entry = fund(account, "50", at=T0, source=source)
    assert (entry.kind, entry.lot.source) == (kind, source)


def test_adjustments_are_not_a_funding_source(account):
    with pytest.raises(LedgerError, match="entry_adjust"):
        fund(account, "50", at=T0, source=FundSource.ADJUSTMENT)


def test_next_funding_covers_the_deficit_first(account):
    fund(account, "20", at=T0)
    charge(account, "35.5", at=T0 + timedelta(hours=1))
    assert (account.balance, account.deficit) == (Decimal("-15.5"), Decimal("15.5"))

    entry = fund(account, "50", at=T0 + timedelta(hours=2))

    assert entry.amount == Decimal("50") and entry.balance_after == Decimal("34.5")
    assert (entry.lot.amount, entry.lot.remaining) == (Decimal("50"), Decimal("34.5"))
    assert (account.balance, account.deficit) == (Decimal("34.5"), Decimal("0"))
    assert account_verify(account) == []


def test_funding_smaller_than_the_deficit_leaves_an_empty_lot_and_less_deficit(account):
    charge(account, "80", at=T0)
    entry = fund(account, "50", at=T0 + timedelta(hours=1))
    assert entry.lot.remaining == 0
    assert not entry.movements.exists()
    assert (account.balance, account.deficit) == (Decimal("-30"), Decimal("30"))
    assert account_verify(account) == []


def test_funding_by_an_admin_is_audited(account, billing_admin):
    entry = fund(account, "75", at=T0, acting_user=billing_admin)
    assert entry.acting_user == billing_admin
    event = AuditEvent.objects.get(action="credits.funds_add")
    assert (event.actor, event.tenant) == (billing_admin, account.tenant)
    assert event.before == {"balance": "0.0000"}
    assert event.after["balance"] == "75.0000" and event.after["entry"] == entry.pk


def test_system_funding_is_not_audited(account):
    fund(account, "75", at=T0, source=FundSource.AUTO_RECHARGE)
    assert not AuditEvent.objects.filter(action="credits.funds_add").exists()


def test_admin_of_another_tenant_cannot_act_on_the_account(account, other_tenant_admin):
    before = ledger_snapshot(account)
    with pytest.raises(LedgerError, match="does not belong"):
        fund(account, "75", at=T0, acting_user=other_tenant_admin)
    assert ledger_snapshot(account) == before


def test_platform_staff_may_act_on_any_account(account):
    staff = StaffFactory()
    assert fund(account, "75", at=T0, acting_user=staff).acting_user == staff


def test_closed_account_takes_no_funds_or_charges(account):
    fund(account, "10", at=T0)
    CreditAccount.objects.filter(pk=account.pk).update(status=CreditAccountStatus.CLOSED)
    before = ledger_snapshot(account)
    with pytest.raises(AccountClosed):
        fund(account, "10", at=T0 + timedelta(hours=1))
    with pytest.raises(AccountClosed):
        charge(account, "1", at=T0 + timedelta(hours=1))
    assert ledger_snapshot(account) == before


def test_postings_default_to_now_and_keep_time_order(account):
    entry = fund(account, "10")
    later = fund(account, "10")
    assert later.created_at >= entry.created_at
    assert account.last_posted_at == later.created_at


def test_back_dated_posting_is_refused(account):
    fund(account, "10", at=T0)
    before = ledger_snapshot(account)
    with pytest.raises(LedgerError, match="before the account's latest entry"):
        fund(account, "10", at=T0 - timedelta(seconds=1))
    assert ledger_snapshot(account) == before


def test_funding_updates_the_callers_account_instance(account):
    stale = CreditAccount.objects.get(pk=account.pk)
    fund(account, "10", at=T0)
    ledger.funds_add(
        account=stale, amount=Decimal("5"), currency="USD", source=FundSource.TOP_UP,
        idempotency_key="stale-instance", at=T0 + timedelta(hours=1),
    )
    assert stale.balance == Decimal("15")
    assert lot_remaining(stale.lots.order_by("id").first()) == Decimal("10")
