"""The demo's spend alert (README, "Spend controls and calling restrictions").

``seed_demo`` turns Contoso's unusual-spend alert on (3 times the daily average, the
default) before today's calls: the long premium-rate calls that start its auto-recharge
(``credits.demo.recharge``) make today a spike against the simulated history, so the usage
import's spend check records one "Unusual Communications Credits spend" notification, which
the Message center lists and the worker emails. Set through the service, as an admin
would (audited); again on a second run it changes nothing, and the alert comes once a day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from accounts.models import Tenant, User
from credits.usage.selectors import spend_controls_of
from credits.usage.services.controls import spend_check, spend_controls_update
from credits.usage.telephony.controls import DEFAULT_MULTIPLIER

ALERTED_TENANTS = frozenset({"contoso"})


def demo_spend_alert_on(*, tenant: Tenant, acting_user: User | None) -> bool:
    """Turn the tenant's spend alert on (the demo tenants that have one); True if it is."""
    if tenant.slug not in ALERTED_TENANTS:
        return False
    if spend_controls_of(tenant=tenant) is None:
        spend_controls_update(
            tenant=tenant, acting_user=acting_user, alert_enabled=True,
            multiplier=DEFAULT_MULTIPLIER, daily_amount=None, stop_at_cap=False,
        )
    return True


def demo_spend_check(*, tenant: Tenant, now: datetime) -> None:
    """Judge today's and yesterday's spend now (today's calls of the last hours may have
    started yesterday in the tenant's time zone): the import's own check runs when its
    transaction commits, which inside a caller's transaction (a test) comes later; it is
    once a day anyway."""
    if tenant.slug in ALERTED_TENANTS:
        spend_check(tenant=tenant, at=now, first=now - timedelta(days=1), last=now)


__all__ = ["demo_spend_alert_on", "demo_spend_check"]
