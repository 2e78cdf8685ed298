"""The credits pages of the backoffice (``/admin/``), one module per capability: each
``admin`` module below registers its models."""

from credits.billing import admin as billing_admin
from credits.ledger import admin as ledger_admin
from credits.notifications import admin as notifications_admin
from credits.notifications.webhooks import admin as webhooks_admin
from credits.reports import admin as reports_admin
from credits.usage import admin as usage_admin

__all__ = [
    "billing_admin", "ledger_admin", "notifications_admin", "reports_admin", "usage_admin",
    "webhooks_admin",
]
