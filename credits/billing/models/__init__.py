"""Billing's models, one module per subject, gathered here:

- ``payments``: saved cards (``PaymentMethod``), Enterprise Agreements, the billing
  profile, orders, the recurring recovery job and the sandbox gateway's charges;
- ``invoices``: invoicing approvals (the credit line platform staff grant a tenant), the
  invoices of invoice orders, and their yearly numbering.
"""

from credits.billing.models.invoices import (
    Invoice,
    InvoiceQuerySet,
    InvoiceSequence,
    InvoicingApproval,
    InvoicingApprovalQuerySet,
)
from credits.billing.models.payments import (
    BillingProfile,
    EnterpriseAgreement,
    EnterpriseAgreementQuerySet,
    Order,
    OrderQuerySet,
    PaymentMethod,
    PaymentMethodQuerySet,
    RecurringJob,
    SandboxCharge,
)

__all__ = [
    "BillingProfile",
    "EnterpriseAgreement",
    "EnterpriseAgreementQuerySet",
    "Invoice",
    "InvoiceQuerySet",
    "InvoiceSequence",
    "InvoicingApproval",
    "InvoicingApprovalQuerySet",
    "Order",
    "OrderQuerySet",
    "PaymentMethod",
    "PaymentMethodQuerySet",
    "RecurringJob",
    "SandboxCharge",
]
