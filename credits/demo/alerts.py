"""The demo's low-balance alert and billing email recipients (README, "Billing
notifications").

``seed_demo`` sets Contoso's low-balance alert a little above its auto-recharge trigger
before today's calls (``credits.demo.recharge``) take the balance below both: the Message
center then lists one "balance is below" notification beside the recharge, and the worker
emails it. Contoso's finance mailbox gets the billing emails too. Set through the
services, as an admin would (audited); a second run changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Tenant, User
from credits.billing.services.balance_alert import balance_alert_update
from credits.ledger.selectors import credit_account_for_tenant
from credits.notifications.alerts import balance_alert_of
from credits.notifications.preferences import billing_recipients_update
from credits.notifications.selectors import billing_recipients_of

ALERTED_TENANTS = {"contoso": "finance@contoso.example"}
ABOVE_TRIGGER = Decimal("10")
WITHOUT_TRIGGER = Decimal("25")


def demo_balance_alert_on(*, tenant: Tenant, acting_user: User | None) -> bool:
    """Set the tenant's alert and extra address (the demo tenants that have them); True
    if it has them."""
    address = ALERTED_TENANTS.get(tenant.slug)
    account = credit_account_for_tenant(tenant)
    if address is None or account is None:
        return False
    if balance_alert_of(tenant) is None:
        trigger = account.recharge_trigger
        threshold = WITHOUT_TRIGGER if trigger is None else trigger + ABOVE_TRIGGER
        balance_alert_update(account=account, acting_user=acting_user, threshold=threshold)
    if not billing_recipients_of(tenant).addresses:
        billing_recipients_update(
            tenant=tenant, acting_user=acting_user, admin_ids=[], addresses=[address]
        )
    return True


__all__ = ["demo_balance_alert_on"]
