"""Reads of the credits app that views, tasks and the ledger share.

``balance_at`` is the one definition of the usable balance; ``credits.ledger.services``
re-exports it beside the functions that move money.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from credits.common.money import ZERO, money_field, quantize
from credits.ledger.checks import aware_check
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry, LotMovement
from credits.ledger.models.lots import FundLot

if TYPE_CHECKING:
    from accounts.models import Tenant

EXPIRY_ALERT_WINDOW = timedelta(days=30)


def credit_account_for_tenant(tenant: Tenant) -> CreditAccount | None:
    """The tenant's credit account, or None when credits are not set up."""
    return CreditAccount.objects.filter(tenant=tenant).first()


def lots_expiring(
    *, account: CreditAccount, within: timedelta = EXPIRY_ALERT_WINDOW, at: datetime | None = None
) -> QuerySet[FundLot]:
    """Lots with funds left that expire within ``within`` (the Home page alert)."""
    return FundLot.objects.for_account(account).expiring(within, at).draw_order()


def entries_for_account(*, account: CreditAccount) -> QuerySet[LedgerEntry]:
    """The account's transactions, newest first."""
    return (
        LedgerEntry.objects.for_account(account)
        .select_related("lot", "acting_user", "reverses")
        .order_by("-id")
    )


def balance_at(*, account: CreditAccount, at: datetime | None = None) -> Decimal:
    """The usable balance at ``at`` (default: now): never counts expired funds.

    It is the cached balance minus what is left in lots expired by ``at`` whose expiry
    entry is not written yet; negative while there is a deficit. Read in one statement, so
    a concurrent posting cannot make it inconsistent. For a moment before the latest entry
    it is rebuilt from ``balance_after`` and the lots' ``remaining_after``.
    """
    at = at or timezone.now()
    aware_check(at)
    expired_left = (
        FundLot.objects.filter(account=OuterRef("pk"), expires_at__lte=at, remaining__gt=0)
        .order_by()
        .values("account")
        .annotate(total=Sum("remaining"))
        .values("total")
    )
    balance, last, expired = (
        CreditAccount.objects.filter(pk=account.pk)
        .annotate(expired=Subquery(expired_left, output_field=money_field("expired")))
        .values_list("balance", "last_posted_at", "expired")
        .get()
    )
    if last is None or at >= last:
        return quantize(balance - (expired or ZERO))
    balance_then = (
        LedgerEntry.objects.filter(account=account, created_at__lte=at)
        .order_by("-id")
        .values_list("balance_after", flat=True)
        .first()
    )
    if balance_then is None:
        return ZERO
    left_then = (
        LotMovement.objects.filter(lot=OuterRef("pk"), entry__created_at__lte=at)
        .order_by("-id")
        .values("remaining_after")[:1]
    )
    expired_then = (
        FundLot.objects.filter(account=account, expires_at__lte=at)
        .annotate(left=Subquery(left_then, output_field=money_field("left")))
        .values_list("left", flat=True)
    )
    return quantize(balance_then - sum((left for left in expired_then if left), ZERO))


