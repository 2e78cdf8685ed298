"""Checks run before an order is placed or a payment setting changes. They read, never
write; a refusal raises a domain error whose message is shown to the admin as it is.

Split out of ``credits.billing.services.orders`` so the payment-setting services share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.models import Tenant
from credits.billing.choices import PaymentType
from credits.billing.gateway import CardDetails
from credits.billing.gateway.cards import card_brand, normalize_number
from credits.billing.models import EnterpriseAgreement, InvoicingApproval, PaymentMethod
from credits.billing.regions import describe, same_region
from credits.billing.rules import credit_line_check, invoice_overdue_check, po_number_check
from credits.billing.selectors.invoices import (
    invoice_outstanding,
    invoice_overdue_first,
    invoicing_approval_of,
)
from credits.exceptions import (
    AgreementRegionMismatch,
    CardRefused,
    InvoicingNotApproved,
    PaymentMethodUnavailable,
)


@dataclass(frozen=True)
class Payment:
    """How an order is paid: a saved card, a card typed now, invoice, or an Enterprise
    Agreement with a PO number."""

    type: str
    card: PaymentMethod | None = None
    new_card: CardDetails | None = None
    enterprise_agreement: EnterpriseAgreement | None = None
    po_number: str = ""

    def identity(self) -> dict[str, object]:
        """What makes two payments the same (for the order's fingerprint)."""
        if self.new_card is not None:
            number = normalize_number(self.new_card.number)
            expiry = f"{self.new_card.exp_month}/{self.new_card.exp_year}"
            card = f"new:{card_brand(number)}:{number[-4:]}:{expiry}"
        else:
            card = self.card.pk if self.card is not None else None
        agreement = self.enterprise_agreement.pk if self.enterprise_agreement else None
        return {"type": self.type, "card": card, "ea": agreement, "po": self.po_number}


# ------------------------------------------------------------------------------ checks


def agreement_check(tenant: Tenant, agreement: EnterpriseAgreement) -> None:
    """The agreement is the tenant's, active, and billed in the tenant's region."""
    if not tenant.volume_licensing:
        raise PaymentMethodUnavailable(
            _("Your organization doesn't buy through an Enterprise Agreement.")
        )
    if agreement.tenant_id != tenant.pk or not agreement.is_active:
        raise PaymentMethodUnavailable(
            _("That Enterprise Agreement isn't available to your organization.")
        )
    if not same_region(tenant.country, agreement.billing_country):
        raise AgreementRegionMismatch(
            _(
                "Enterprise Agreement %(number)s can't pay for this purchase: its billing "
                "address is in %(agreement_place)s, but your organization is located in "
                "%(tenant_place)s. Credits can only be bought with an agreement billed in "
                "your organization's region. Nothing was charged. Open a service request to "
                "have the agreement's billing address reviewed, or choose another way to pay."
            )
            % {
                "number": agreement.number,
                "agreement_place": describe(agreement.billing_country),
                "tenant_place": describe(tenant.country),
            },
            agreement=agreement,
        )


def card_check(tenant: Tenant, card: PaymentMethod) -> None:
    """A saved card of the tenant, not removed and not expired."""
    if card.tenant_id != tenant.pk or card.is_removed:
        raise PaymentMethodUnavailable(_("That card isn't one of your payment methods."))
    if card.is_expired():
        raise CardRefused(
            _(
                "%(card)s expired at the end of %(expiry)s. Nothing was charged. Use another "
                "card, or add the card again with its new expiry date."
            )
            % {"card": card.label, "expiry": card.expiry},
            card_code="expired_card",
        )


def invoicing_check(
    tenant: Tenant, *, amount: Decimal | None = None, completing: bool = False
) -> InvoicingApproval:
    """The tenant may pay by invoice (``credits.billing.rules``, the credit line): it is
    approved for invoicing (``InvoicingNotApproved``), no invoice of it is overdue
    (``InvoiceOverdue``, naming the invoice and its due date) and, given the ``amount``
    of an order, the unpaid invoiced amount stays within the credit limit
    (``CreditLimitExceeded``, with both figures). Returns the approval.

    Read early, before an order is written (``payment_check``): the open invoices and
    the invoice orders others are placing count. Read again when an invoice order is
    ``completing``, under the tenant's row lock that every completing invoice order
    takes: the open invoices count (every invoice issued before is committed and seen),
    not the other pending orders, each checked in its turn when it completes. So two
    orders placed at once can't both pass the limit, and the first to complete wins."""
    approval = invoicing_approval_of(tenant)
    if approval is None:
        raise InvoicingNotApproved(
            _(
                "Your organization isn't approved to pay by invoice. Choose another way to "
                "pay, or open a service request to ask for invoicing."
            )
        )
    overdue = invoice_overdue_first(tenant)
    if overdue is not None:
        invoice_overdue_check(number=overdue.number, due_on=overdue.due_on)
    if amount is not None:
        credit_line_check(
            amount=amount, outstanding=invoice_outstanding(tenant, pending=not completing),
            limit=approval.credit_limit, currency=tenant.currency,
        )
    return approval


def payment_check(
    tenant: Tenant,
    payment: Payment,
    *,
    allow_new_card: bool = True,
    amount: Decimal | None = None,
) -> Payment:
    """The payment, with its PO number cleaned, or an ``OrderError`` saying why not.
    An invoice needs the tenant's invoicing approval, no overdue invoice and, given the
    order's ``amount``, room within the credit limit (``invoicing_check``)."""
    if payment.type == PaymentType.CARD:
        if payment.new_card is not None:
            if not allow_new_card or payment.card is not None:
                raise PaymentMethodUnavailable(_("Choose a saved card."))
        elif payment.card is None:
            raise PaymentMethodUnavailable(_("Choose a card, or enter a new one."))
        else:
            card_check(tenant, payment.card)
        return Payment(type=payment.type, card=payment.card, new_card=payment.new_card)
    if payment.type == PaymentType.INVOICE:
        po = po_number_check(payment.po_number, required=False)
        invoicing_check(tenant, amount=amount)
        return Payment(type=payment.type, po_number=po)
    if payment.type == PaymentType.ENTERPRISE_AGREEMENT:
        if payment.enterprise_agreement is None:
            raise PaymentMethodUnavailable(_("Choose an Enterprise Agreement."))
        agreement_check(tenant, payment.enterprise_agreement)
        po = po_number_check(payment.po_number, required=False)  # "if applicable"
        return Payment(
            type=payment.type, enterprise_agreement=payment.enterprise_agreement, po_number=po
        )
    raise PaymentMethodUnavailable(_("Choose how to pay."))


