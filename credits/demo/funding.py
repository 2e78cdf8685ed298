"""The demo's fundings are orders (README, "Demo sign-ins"): placed and paid through the
order services, backdated to the moment the history needs, so Bills & payments lists
them in their month's statement and the ledger's funding entries point at them.

``demo_order`` records a *pending* order dated ``at`` (``order_pending_create``) and pays
it as of then (``order_pay(at=...)``) with the tenant's card: the sandbox gateway charges
the card as of that day and the ledger adds the lot at ``at``. The order's idempotency key
comes from the scenario, so seeding again finds the order and adds nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from credits.billing.choices import OrderKind, PaymentType
from credits.billing.models import Order, PaymentMethod
from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_fingerprint, order_pay, order_pending_create

if TYPE_CHECKING:
    from accounts.models import Tenant, User


def demo_order(
    *,
    tenant: Tenant,
    kind: str,
    amount: Decimal,
    card: PaymentMethod,
    at: datetime,
    key: str,
    acting_user: User | None = None,
) -> Order:
    """The succeeded order ``key`` of ``tenant``, placed and paid at ``at`` with ``card``
    (the one found when it exists already). An auto-recharge has no acting admin."""
    existing = Order.objects.filter(tenant=tenant, idempotency_key=key).first()
    if existing is not None:
        return existing
    payment = Payment(type=PaymentType.CARD, card=card)
    recharge = RechargeSettings(enabled=False) if kind == OrderKind.PURCHASE else None
    placed_by = None if kind == OrderKind.AUTO_RECHARGE else acting_user
    with transaction.atomic():
        order = order_pending_create(
            tenant=tenant, kind=kind, amount=amount, payment=payment, recharge=recharge,
            idempotency_key=key, acting_user=placed_by, created_at=at,
            fingerprint=order_fingerprint(
                kind=kind, amount=amount, currency=tenant.currency, payment=payment,
                recharge=recharge,
            ),
        )
    return order_pay(order, at=at)


__all__ = ["demo_order"]
