"""Invoices and the credit line (README, "Buying and managing Communications Credits").

- ``invoicing_approve``: allow a tenant to pay by invoice up to a credit limit (the
  demo and scripts; platform staff use the backoffice's audited page);
- ``invoice_issue``: the invoice of an invoice order, written inside the transaction
  that completes the order (``credits.billing.services.orders``), with the next number
  of its year;
- ``invoice_mark_paid`` and ``invoice_void``: platform staff close an open invoice,
  with a reason, audited. Voiding takes back the lot's unused funds through the ledger
  (``credits.ledger.services.lot_withdraw``). A paid or void invoice never changes again.

The credit line itself (approved, nothing overdue, within the limit) is checked by
``credits.billing.services.checks.invoicing_check``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Tenant
from accounts.services import audit_record
from credits.billing.choices import InvoiceStatus, PaymentType
from credits.billing.models import Invoice, InvoiceSequence, InvoicingApproval, Order
from credits.billing.rules import credit_limit_check, invoice_due_on
from credits.exceptions import InvoiceClosed, InvoiceError
from credits.ledger import services as ledger
from credits.ledger.models.lots import FundLot

if TYPE_CHECKING:
    from accounts.models import User

REASON_MAX_LENGTH = 500


def invoice_number(year: int, sequence: int) -> str:
    """``INV-2026-000042``: the year of issue and the number's place in that year."""
    return f"INV-{year:04d}-{sequence:06d}"


# ------------------------------------------------------------------------------ approval


def invoicing_approve(
    *, tenant: Tenant, credit_limit: object, acting_user: User | None = None
) -> InvoicingApproval:
    """Allow ``tenant`` to pay by invoice up to ``credit_limit`` (its currency): a new
    approval, or the existing one with this limit, in force again if it was revoked.
    Audited as ``credits.invoicing_approve`` (before → after). ``InvalidCreditLimit``
    when the limit is not a valid amount; nothing is written then."""
    limit = credit_limit_check(credit_limit, currency=tenant.currency)
    now = timezone.now()
    with transaction.atomic():
        Tenant.objects.lock(tenant)
        approval = InvoicingApproval.objects.filter(tenant=tenant).first()
        before = _approval_state(approval) if approval is not None else {}
        if approval is None:
            approval = InvoicingApproval(tenant=tenant)
        elif approval.is_active and approval.credit_limit == limit:
            return approval
        if not approval.is_active or approval.pk is None:
            approval.approved_by = acting_user if acting_user and acting_user.pk else None
            approval.approved_at = now
        approval.credit_limit = limit
        approval.is_active = True
        approval.revoked_at = None
        approval.revoked_by = None
        approval.save()
        audit_record(
            tenant=tenant, actor=acting_user, action="credits.invoicing_approve",
            target=f"Invoicing approval {approval.pk}",
            before=before, after=_approval_state(approval),
        )
    return approval


def _approval_state(approval: InvoicingApproval) -> dict[str, object]:
    return {"credit_limit": str(approval.credit_limit), "active": approval.is_active}


# ------------------------------------------------------------------------------- issuing


def invoice_issue(*, order: Order, lot: FundLot) -> Invoice:
    """The invoice of a succeeded invoice order, inside the caller's transaction (the one
    completing the order): issued when the order completed, due ``INVOICE_NET_DAYS``
    later, open, for the order's amount, paying for ``lot``. Numbered with the next
    number of the year of issue (UTC)."""
    if order.payment_type != PaymentType.INVOICE or order.completed_at is None:
        raise ValueError(f"Order {order.number} is not a completed invoice order.")
    issued_at = order.completed_at
    issued_on = issued_at.astimezone(UTC).date()
    return Invoice.objects.create(
        number=invoice_number(issued_on.year, _sequence_next(issued_on.year)),
        tenant_id=order.tenant_id,
        order=order,
        lot=lot,
        amount=order.amount,
        currency=order.currency,
        issued_at=issued_at,
        due_on=invoice_due_on(issued_on),
        status=InvoiceStatus.OPEN,
    )


def _sequence_next(year: int) -> int:
    """The next number of ``year``, under the sequence row's lock (taken last, after the
    tenant's, the order's and the credit account's, so it can't deadlock with them)."""
    counter = InvoiceSequence.objects.select_for_update().filter(year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                InvoiceSequence.objects.create(year=year, last=0)
        except IntegrityError:
            pass  # created by a concurrent issue: lock that one
        counter = InvoiceSequence.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


# ------------------------------------------------------------------------------- closing


def invoice_mark_paid(
    *, invoice: Invoice, acting_user: User | None, reason: str, at: datetime | None = None
) -> Invoice:
    """Record that an open invoice was paid (the bank transfer arrived): its amount no
    longer counts against the credit line. Audited as ``credits.invoice_paid`` with the
    reason. ``InvoiceClosed`` when it is already paid or void."""
    reason = _reason_check(reason)
    with transaction.atomic():
        locked = _lock_open(invoice)
        before = _invoice_state(locked)
        locked.status = InvoiceStatus.PAID
        locked.paid_at = at or timezone.now()
        locked.closed_by = acting_user if acting_user and acting_user.pk else None
        locked.close_reason = reason
        locked.save(update_fields=["status", "paid_at", "closed_by", "close_reason"])
        audit_record(
            tenant=locked.tenant, actor=acting_user, action="credits.invoice_paid",
            target=f"Invoice {locked.number}",
            before=before, after={**_invoice_state(locked), "reason": reason},
        )
    return locked


def invoice_void(
    *, invoice: Invoice, acting_user: User | None, reason: str, at: datetime | None = None
) -> Invoice:
    """Cancel an open invoice: it is no longer owed, and what is left of the funds it
    paid for is taken back from the balance (``lot_withdraw``, one adjustment keyed by
    the invoice; funds already spent stay spent). Audited as ``credits.invoice_void``
    with the reason and the amount taken back. ``InvoiceClosed`` when it is already
    paid or void."""
    reason = _reason_check(reason)
    with transaction.atomic():
        locked = _lock_open(invoice)
        before = _invoice_state(locked)
        entry = ledger.lot_withdraw(
            lot=locked.lot,
            memo=f"Invoice {locked.number} void: {reason}"[:REASON_MAX_LENGTH],
            idempotency_key=f"invoice:{locked.pk}:void",
            acting_user=acting_user,
            reference_type="invoice",
            reference_id=str(locked.pk),
            at=at,
        )
        locked.status = InvoiceStatus.VOID
        locked.voided_at = at or timezone.now()
        locked.closed_by = acting_user if acting_user and acting_user.pk else None
        locked.close_reason = reason
        locked.void_entry = entry
        locked.save(update_fields=["status", "voided_at", "closed_by", "close_reason",
                                   "void_entry"])
        taken = -entry.amount if entry is not None else Decimal(0)
        audit_record(
            tenant=locked.tenant, actor=acting_user, action="credits.invoice_void",
            target=f"Invoice {locked.number}",
            before=before,
            after={**_invoice_state(locked), "reason": reason, "funds_taken_back": str(taken)},
        )
    return locked


def _reason_check(reason: object) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvoiceError(_("Give the reason for this operation."))
    return text[:REASON_MAX_LENGTH]


def _lock_open(invoice: Invoice) -> Invoice:
    locked = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("tenant", "lot__account")
        .get(pk=invoice.pk)
    )
    if locked.status != InvoiceStatus.OPEN:
        raise InvoiceClosed(
            _("Invoice %(number)s is already %(status)s: a paid or void invoice can't "
              "change again.")
            % {"number": locked.number, "status": locked.get_status_display().lower()}
        )
    return locked


def _invoice_state(invoice: Invoice) -> dict[str, str]:
    return {"status": str(invoice.status), "amount": str(invoice.amount)}
