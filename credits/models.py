"""Every model of the credits app, defined in its capability package and gathered here,
where Django's app registry looks for them, with the capabilities' choices.

- ``credits.ledger.models``: ``CreditAccount`` (one per tenant: the cached balance and
  deficit, the recharge settings), ``FundLot`` (one per funding, expiring 12 calendar
  months after purchase), ``LedgerEntry`` (append-only, one per posting),
  ``LotMovement`` (how an entry changed each lot it touched) and ``LedgerDaySummary``
  (spent and funded per account and UTC day, the Funding advice's read model).
- ``credits.billing.models``: ``PaymentMethod`` (saved cards), ``EnterpriseAgreement``,
  ``BillingProfile`` (how a tenant's credits are paid), ``Order``, ``SandboxCharge``,
  ``InvoicingApproval`` (the credit line staff grant), ``Invoice`` (one per invoice
  order) and ``InvoiceSequence`` (invoice numbers by year).
- ``credits.usage.models``: ``Rate`` (the price of a minute), ``CallRecord`` (one rated
  call), ``CallDaySummary`` (their sums per UTC day, the report's read model),
  ``MinutePool`` (minutes used per month, country and plan), ``TollFreeNumber`` and
  ``ApiToken`` (the usage API's bearer tokens, stored hashed).
- ``credits.notifications.models``: ``Notification`` (one email to the notified admins),
  ``BalanceAlert`` (the low-balance alert's threshold and its last crossing),
  ``BillingRecipient`` (admins and addresses beyond the notified roles who get billing
  emails) and ``NotificationOptOut`` (an admin's kinds they no longer receive).
- ``credits.notifications.webhooks.models``: ``WebhookEndpoint`` (an address that receives
  signed billing events), ``WebhookEvent`` (one per event and key), ``WebhookDelivery``
  (one event sent to one endpoint, its attempts) and ``WebhookSweep`` (keeps the retry
  sweep single).
- ``credits.reports.models``: ``ReportExport`` (an export written in the background).

The choices (statuses, kinds, call types...) live in each capability's ``choices``
module, so pure code uses them without importing a model. Money columns are
``numeric(15, 4)`` (``credits.common.money`` explains the choice); balances, lots and
entries are written only by the ledger's services (``credits.ledger.services``).
"""

from credits.billing.choices import InvoiceStatus, OrderKind, OrderStatus, PaymentType
from credits.billing.models import (
    BillingProfile,
    EnterpriseAgreement,
    Invoice,
    InvoiceSequence,
    InvoicingApproval,
    Order,
    PaymentMethod,
    SandboxCharge,
)
from credits.ledger.choices import (
    CREDIT_KINDS,
    DEBIT_KINDS,
    REVERSIBLE_KINDS,
    CreditAccountStatus,
    EntryKind,
    FundSource,
)
from credits.ledger.models.accounts import CreditAccount, CreditAccountQuerySet
from credits.ledger.models.entries import (
    FUNDING_KIND,
    LedgerEntry,
    LedgerEntryQuerySet,
    LotMovement,
)
from credits.ledger.models.lots import FundLot, FundLotQuerySet
from credits.ledger.models.rollup import LedgerDaySummary
from credits.notifications.choices import DeliveryStatus, NotificationKind
from credits.notifications.models import (
    BalanceAlert,
    BillingRecipient,
    Notification,
    NotificationOptOut,
    NotificationQuerySet,
)
from credits.notifications.webhooks.choices import WebhookDeliveryStatus, WebhookEventType
from credits.notifications.webhooks.models import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSweep,
)
from credits.reports.choices import ExportFormat, ExportStatus
from credits.reports.models import EXPORT_KEEP, ReportExport, ReportExportQuerySet
from credits.usage.choices import (
    CONFERENCE_OUT_CALL_TYPES,
    INBOUND_CALL_TYPES,
    POOL_CAPABILITIES,
    USER_OUT_CALL_TYPES,
    CallType,
    Capability,
    DestinationType,
    NumberType,
    Reach,
    UsageSource,
)
from credits.usage.models.api import ApiToken
from credits.usage.models.calls import (
    CallDaySummary,
    CallDaySummaryQuerySet,
    CallRecord,
    CallRecordQuerySet,
    MinutePool,
    TollFreeNumber,
)
from credits.usage.models.controls import CallingRestrictions, SpendControls
from credits.usage.models.rates import Rate, RateQuerySet

__all__ = [
    # ledger
    "CREDIT_KINDS",
    "DEBIT_KINDS",
    "FUNDING_KIND",
    "REVERSIBLE_KINDS",
    "CreditAccount",
    "CreditAccountQuerySet",
    "CreditAccountStatus",
    "EntryKind",
    "FundLot",
    "FundLotQuerySet",
    "FundSource",
    "LedgerDaySummary",
    "LedgerEntry",
    "LedgerEntryQuerySet",
    "LotMovement",
    # billing
    "BillingProfile",
    "EnterpriseAgreement",
    "Invoice",
    "InvoiceSequence",
    "InvoiceStatus",
    "InvoicingApproval",
    "Order",
    "OrderKind",
    "OrderStatus",
    "PaymentMethod",
    "PaymentType",
    "SandboxCharge",
    # usage
    "CONFERENCE_OUT_CALL_TYPES",
    "INBOUND_CALL_TYPES",
    "POOL_CAPABILITIES",
    "USER_OUT_CALL_TYPES",
    "ApiToken",
    "CallDaySummary",
    "CallDaySummaryQuerySet",
    "CallRecord",
    "CallRecordQuerySet",
    "CallingRestrictions",
    "CallType",
    "Capability",
    "DestinationType",
    "MinutePool",
    "NumberType",
    "Rate",
    "RateQuerySet",
    "Reach",
    "SpendControls",
    "TollFreeNumber",
    "UsageSource",
    # notifications
    "DeliveryStatus",
    "BalanceAlert",
    "BillingRecipient",
    "Notification",
    "NotificationKind",
    "NotificationOptOut",
    "NotificationQuerySet",
    # notifications: webhooks
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookEventType",
    "WebhookSweep",
    # reports
    "EXPORT_KEEP",
    "ExportFormat",
    "ExportStatus",
    "ReportExport",
    "ReportExportQuerySet",
]
