"""Factories and small helpers for credits tests.

Lots and entries are never built by factories: money moves only through the ledger
service, so tests fund and charge accounts with the helpers below, which call it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from credits.ledger import services as ledger
from credits.models import CreditAccount, FundSource, LedgerEntry
from tests.accounts.factories import TenantFactory

T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
_keys = itertools.count(1)


def next_key(prefix: str = "test") -> str:
    return f"{prefix}-{next(_keys)}"


class CreditAccountFactory(DjangoModelFactory):
    class Meta:
        model = CreditAccount
        django_get_or_create = ("tenant",)

    tenant = factory.SubFactory(TenantFactory)
    currency = factory.LazyAttribute(lambda o: o.tenant.currency)


def fund(
    account: CreditAccount, amount: str | Decimal, *, at: datetime | None = None,
    source: str = FundSource.PURCHASE, key: str | None = None, **kwargs,
) -> LedgerEntry:
    return ledger.funds_add(
        account=account, amount=Decimal(amount), currency=account.currency, source=source,
        idempotency_key=key or next_key("fund"), at=at, **kwargs,
    )


def charge(
    account: CreditAccount, amount: str | Decimal, *, at: datetime | None = None,
    key: str | None = None, **kwargs,
) -> LedgerEntry:
    return ledger.usage_charge(
        account=account, amount=Decimal(amount), currency=account.currency,
        idempotency_key=key or next_key("call"), at=at, **kwargs,
    )


def charges(
    account: CreditAccount, amounts_at: Iterable[tuple[str | Decimal, datetime]]
) -> list[LedgerEntry]:
    """Many usage charges of ``(amount, at)``, in time order, posted as one batch (the
    import's ``usage_charge_many``: the same entries as ``charge`` one by one, in a
    fraction of the time)."""
    batch = [
        ledger.UsageCharge(
            amount=Decimal(amount), currency=account.currency,
            idempotency_key=next_key("call"), at=at,
        )
        for amount, at in amounts_at
    ]
    posted = ledger.usage_charge_many(account=account, charges=batch)
    return [posted.entries[item.idempotency_key] for item in batch]


def ledger_snapshot(account: CreditAccount) -> tuple:
    """Everything a posting could change, to assert that a refused one wrote nothing."""
    from accounts.models import AuditEvent
    from credits.models import FundLot, LotMovement

    fresh = CreditAccount.objects.get(pk=account.pk)
    return (
        fresh.balance,
        fresh.deficit,
        fresh.last_posted_at,
        list(LedgerEntry.objects.filter(account=account).values_list("pk", flat=True)),
        list(FundLot.objects.filter(account=account).values_list("pk", "remaining")),
        LotMovement.objects.filter(entry__account=account).count(),
        AuditEvent.objects.filter(tenant=account.tenant).count(),
    )


def lot_remaining(lot) -> Decimal:
    lot.refresh_from_db()
    return lot.remaining
