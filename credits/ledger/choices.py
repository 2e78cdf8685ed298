"""The ledger's choices: account statuses, entry kinds (and which credit or debit),
where a fund lot came from. Kept apart from the models so pure modules can use them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CreditAccountStatus(models.TextChoices):
    """Active: normal. Suspended: no new paid calls may start (the call authorization
    decides), but the ledger still posts. Closed: no new funds or charges; expiries,
    adjustments and reversals still post."""

    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class EntryKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    TOP_UP = "top_up", _("Manual top-up")
    RECHARGE = "recharge", _("Auto-recharge")
    USAGE = "usage", _("Usage charge")
    EXPIRY = "expiry", _("Expiry")
    ADJUSTMENT = "adjustment", _("Adjustment")
    REVERSAL = "reversal", _("Reversal")


CREDIT_KINDS = frozenset({EntryKind.PURCHASE, EntryKind.TOP_UP, EntryKind.RECHARGE})


DEBIT_KINDS = frozenset({EntryKind.USAGE, EntryKind.EXPIRY})


REVERSIBLE_KINDS = CREDIT_KINDS | {EntryKind.USAGE, EntryKind.ADJUSTMENT}


class FundSource(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    TOP_UP = "top_up", _("Manual top-up")
    AUTO_RECHARGE = "auto_recharge", _("Auto-recharge")
    ADJUSTMENT = "adjustment", _("Adjustment")
