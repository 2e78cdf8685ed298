"""The recovery of interrupted payments: one run settles every order pending for over
``STALE_AFTER`` with the gateway's record of its charge.

``credits.billing.services.schedule`` says when it runs (every minute on the workers
while any order is pending, kept single); the daily jobs run it too. Each order is
settled by ``orders.order_reconcile`` (an auto-recharge by ``recharge_reconcile``, which
emails the admins how it ended), so a charge that went through completes the order with
its funds added once, a refused one fails it, a payment that never reached the gateway is
paid now with the same key, and an order the gateway can't tell about yet stays pending
for the next run. The run also writes the recharge emails a crash lost.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from credits.billing.choices import OrderKind
from credits.billing.gateway import PaymentGateway, get_gateway
from credits.billing.services import orders
from credits.billing.services.auto_recharge import recharge_reconcile, recharges_notify_missing
from credits.billing.services.schedule import recovery_claim, recovery_record

log = logging.getLogger(__name__)


def payments_recover(
    *,
    generation: int | None = None,
    at: datetime | None = None,
    gateway: PaymentGateway | None = None,
) -> dict:
    """One recovery run (``generation``: the run the schedule queued; none from the daily
    jobs). Returns what it did: orders reconciled, how each ended, the recharges among
    them, the emails written, and the orders it could not settle because of an error."""
    now = at or timezone.now()
    if not recovery_claim(generation=generation, at=now):
        return {"superseded": True}
    gateway = gateway or get_gateway()
    summary = {"reconciled": 0, "succeeded": 0, "failed": 0, "pending": 0, "recharges": 0,
               "errors": 0}
    stale = orders.orders_stale(at=now).select_related("payment_method", "tenant")
    for order in stale:
        try:
            if order.kind == OrderKind.AUTO_RECHARGE:
                order = recharge_reconcile(order, gateway=gateway, at=now)
                summary["recharges"] += 1
            else:
                order = orders.order_reconcile(order, gateway=gateway, at=now)
        except Exception:  # noqa: BLE001 - one order's error must not stop the others
            log.exception("Recovery: order %s could not be reconciled", order.number)
            summary["errors"] += 1
            continue
        summary["reconciled"] += 1
        summary[str(order.status)] += 1
    summary["notified"] = recharges_notify_missing(at=now)
    recovery_record(summary)
    if summary["reconciled"] or summary["errors"]:
        log.info("Recovery of interrupted payments: %s", summary)
    return summary
