"""Reads of invoices and the credit line: a tenant's invoicing approval, what it owes on
invoices, its oldest overdue invoice, and the invoices the pages list.

**Outstanding** (what counts against the credit limit) is the amount of the tenant's
invoice orders that are unpaid: the succeeded ones whose invoice is *open* (overdue
included) and, when an order is being placed, those still *pending* (being placed by
someone else). Paid and void invoices and failed orders don't count. One query; the
other reads are one query each too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet, Sum

from credits.billing.choices import InvoiceStatus, OrderStatus, PaymentType
from credits.billing.models import Invoice, InvoicingApproval, Order
from credits.common.money import sum_quantize

if TYPE_CHECKING:
    from accounts.models import Tenant


def invoicing_approval_of(tenant: Tenant) -> InvoicingApproval | None:
    """The tenant's invoicing approval if it is in force (not revoked), else ``None``."""
    return InvoicingApproval.objects.for_tenant(tenant).active().first()


def invoicing_allowed(tenant: Tenant) -> bool:
    """Whether the tenant may be offered the Invoice option (approved, not revoked)."""
    return InvoicingApproval.objects.for_tenant(tenant).active().exists()


def invoice_outstanding(tenant: Tenant, *, pending: bool = True) -> Decimal:
    """What the tenant owes on invoices: its open invoices and, with ``pending``, its
    pending invoice orders (see the module docstring)."""
    unpaid = Q(status=OrderStatus.SUCCEEDED, invoice__status=InvoiceStatus.OPEN)
    if pending:
        unpaid |= Q(status=OrderStatus.PENDING)
    orders = Order.objects.for_tenant(tenant).filter(unpaid, payment_type=PaymentType.INVOICE)
    return sum_quantize(orders.aggregate(total=Sum("amount"))["total"])


@dataclass(frozen=True)
class CreditLine:
    """An approved tenant's credit line: the limit, what is owed against it (open
    invoices and invoice orders being placed) and what is left."""

    limit: Decimal
    outstanding: Decimal

    @property
    def available(self) -> Decimal:
        return max(self.limit - self.outstanding, Decimal(0))


def credit_line_of(tenant: Tenant) -> CreditLine | None:
    """The tenant's credit line, or ``None`` when it isn't approved for invoicing (one
    query; two when it is)."""
    approval = invoicing_approval_of(tenant)
    if approval is None:
        return None
    return CreditLine(limit=approval.credit_limit, outstanding=invoice_outstanding(tenant))


def invoice_overdue_first(tenant: Tenant, *, today: dt.date | None = None) -> Invoice | None:
    """The tenant's oldest overdue invoice (open, past its due date), if any."""
    return Invoice.objects.for_tenant(tenant).overdue(today).order_by("due_on", "id").first()


def invoices_for_tenant(tenant: Tenant) -> QuerySet[Invoice]:
    """The tenant's invoices, newest first, with what a row of Bills & payments shows."""
    return Invoice.objects.for_tenant(tenant).select_related("order").order_by(
        "-issued_at", "-id"
    )


def invoice_for_page() -> QuerySet[Invoice]:
    """Invoices with what the invoice page shows (pass it to the tenant access helper)."""
    return Invoice.objects.select_related(
        "tenant", "order__placed_by", "order__enterprise_agreement", "lot"
    )
