"""The low-balance alert's threshold, set from the Communications Credits page: checked
with the billing rules (``balance_alert_check``), then stored and audited by
``credits.notifications.alerts``, which also decides when the alert is sent."""

from __future__ import annotations

from accounts.models import User
from credits.billing.rules import balance_alert_check
from credits.ledger.models.accounts import CreditAccount
from credits.notifications.alerts import balance_alert_set


def balance_alert_update(
    *, account: CreditAccount, acting_user: User | None, threshold: object
) -> bool:
    """Set the threshold (empty or None: off). Raises ``InvalidRechargeSettings`` with
    the ``threshold`` problem; nothing is written then. Returns whether it changed."""
    value = balance_alert_check(threshold, currency=account.currency)
    return balance_alert_set(account=account, threshold=value, acting_user=acting_user)
