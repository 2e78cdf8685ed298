"""Reads of Billing > Bills & payments: monthly statements and every payment attempt.

A **statement** is a calendar month (UTC) in which at least one funding was charged: the
succeeded orders (set-up purchase, Add funds, auto-recharge) whose payment completed in
that month, and their total. A month without a funding has no statement (no charge).
**Payment attempts** are all orders, whatever their status, with the failure reason of
the ones that failed.

Every function reads in a fixed number of queries, whatever the number of orders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from credits.billing.choices import PaymentType
from credits.billing.models import Order
from credits.common.dates import month_bounds, month_of

if TYPE_CHECKING:
    from accounts.models import Tenant

@dataclass(frozen=True)
class Statement:
    """One month's charges: how many fundings and their total."""

    month: dt.date
    count: int
    total: Decimal

    @property
    def key(self) -> str:
        return f"{self.month:%Y-%m}"


class StatementList:
    """The statements newest first, as a sequence a ``Paginator`` slices: the count is
    one query, a page another (grouped by month in the database)."""

    def __init__(self, tenant: Tenant) -> None:
        self._rows = (
            Order.objects.for_tenant(tenant)
            .succeeded()
            .annotate(month=TruncMonth("completed_at", tzinfo=dt.UTC))
            .values("month")
            .annotate(count=Count("id"), total=Sum("amount"))
            .order_by("-month")
        )

    def count(self) -> int:
        return self._rows.count()

    def __len__(self) -> int:  # pragma: no cover - Paginator prefers count()
        return self.count()

    def __getitem__(self, index):
        rows = self._rows[index]
        if isinstance(index, slice):
            return [_statement(row) for row in rows]
        return _statement(rows)


def _statement(row: dict) -> Statement:
    return Statement(month=month_of(row["month"]), count=row["count"], total=row["total"])


def statements(tenant: Tenant) -> StatementList:
    return StatementList(tenant)


def statement_lines(tenant: Tenant, month: dt.date) -> QuerySet[Order]:
    """The fundings charged in ``month`` (UTC), in the order they were paid."""
    start, end = month_bounds(month)
    return (
        Order.objects.for_tenant(tenant)
        .succeeded()
        .filter(completed_at__gte=start, completed_at__lt=end)
        .select_related("payment_method", "enterprise_agreement")
        .order_by("completed_at", "id")
    )


def payment_attempts(tenant: Tenant) -> QuerySet[Order]:
    """Every order (pending, succeeded, failed), newest first, with what a row shows."""
    return (
        Order.objects.for_tenant(tenant)
        .select_related("payment_method", "enterprise_agreement", "placed_by")
        .order_by("-created_at", "-id")
    )


def paid_with(order: Order) -> str:
    """The payment method as a statement line names it (card, EA and PO, invoice)."""
    if order.payment_type == PaymentType.CARD and order.payment_method is not None:
        return order.payment_method.label
    if (
        order.payment_type == PaymentType.ENTERPRISE_AGREEMENT
        and order.enterprise_agreement is not None
    ):
        text = _("Enterprise Agreement %(number)s") % {
            "number": order.enterprise_agreement.number
        }
    else:
        text = str(order.get_payment_type_display())
    if order.po_number:
        return _("%(method)s, PO %(po)s") % {"method": text, "po": order.po_number}
    return text
