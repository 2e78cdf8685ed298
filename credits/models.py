"""Credits models, split by subdomain and re-exported here.

- ``accounts``: ``CreditAccount``, one per tenant, with its cached balance and deficit and
  the auto-recharge settings.
- ``lots``: ``FundLot``, one per funding, which expires 12 calendar months after purchase.
- ``ledger``: ``LedgerEntry`` (append-only, one per posting) and ``LotMovement`` (how an
  entry changed the remaining amount of each lot it touched).
- ``payments``: ``PaymentMethod`` (saved cards), ``EnterpriseAgreement``,
  ``BillingProfile`` (how a tenant's credits are paid), ``Order`` and ``SandboxCharge``.
- ``rates``: ``Rate``, the price of a minute per country, number type and currency.
- ``calls``: ``CallRecord`` (one rated call), ``CallDaySummary`` (their sums per UTC day,
  the report's read model), ``MinutePool`` (minutes used per month, country and plan) and
  ``TollFreeNumber`` (a tenant's toll-free numbers).
- ``api``: ``ApiToken``, per-tenant bearer tokens for the usage API (stored hashed).
- ``exports``: ``ReportExport``, a report export written in the background, with its
  progress and the file it produced.

Money columns are ``numeric(15, 4)``; ``credits.common.money`` explains the choice. Rows are
written only by ``credits.ledger.services.postings``; see its docstring for the accounting model
(balance, lots, deficit) and the invariants ``manage.py ledger_verify`` checks.
"""

from credits.billing.models import (
    BillingProfile,
    EnterpriseAgreement,
    Order,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    PaymentType,
    SandboxCharge,
)
from credits.ledger.models.accounts import CreditAccount, CreditAccountQuerySet, CreditAccountStatus
from credits.ledger.models.entries import (
    CREDIT_KINDS,
    DEBIT_KINDS,
    FUNDING_KIND,
    REVERSIBLE_KINDS,
    EntryKind,
    LedgerEntry,
    LedgerEntryQuerySet,
    LotMovement,
)
from credits.ledger.models.lots import FundLot, FundLotQuerySet, FundSource
from credits.notifications.models import (
    DeliveryStatus,
    Notification,
    NotificationKind,
    NotificationQuerySet,
)
from credits.reports.models import (
    EXPORT_KEEP,
    ExportFormat,
    ExportStatus,
    ReportExport,
    ReportExportQuerySet,
)
from credits.usage.models.api import ApiToken
from credits.usage.models.calls import (
    CONFERENCE_OUT_CALL_TYPES,
    INBOUND_CALL_TYPES,
    POOL_CAPABILITIES,
    USER_OUT_CALL_TYPES,
    CallDaySummary,
    CallDaySummaryQuerySet,
    CallRecord,
    CallRecordQuerySet,
    CallType,
    Capability,
    DestinationType,
    MinutePool,
    Reach,
    TollFreeNumber,
    UsageSource,
)
from credits.usage.models.rates import NumberType, Rate, RateQuerySet

__all__ = [
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
    "LedgerEntry",
    "LedgerEntryQuerySet",
    "LotMovement",
    # report exports
    "EXPORT_KEEP",
    "ExportFormat",
    "ExportStatus",
    "ReportExport",
    "ReportExportQuerySet",
    # notifications
    "DeliveryStatus",
    "Notification",
    "NotificationKind",
    "NotificationQuerySet",
    # payments
    "BillingProfile",
    "EnterpriseAgreement",
    "Order",
    "OrderKind",
    "OrderStatus",
    "PaymentMethod",
    "PaymentType",
    "SandboxCharge",
    # rates, calls and the usage API
    "CONFERENCE_OUT_CALL_TYPES",
    "INBOUND_CALL_TYPES",
    "POOL_CAPABILITIES",
    "USER_OUT_CALL_TYPES",
    "ApiToken",
    "CallDaySummary",
    "CallDaySummaryQuerySet",
    "CallRecord",
    "CallRecordQuerySet",
    "CallType",
    "Capability",
    "DestinationType",
    "MinutePool",
    "NumberType",
    "Rate",
    "RateQuerySet",
    "Reach",
    "TollFreeNumber",
    "UsageSource",
]
