"""Reads of the billing pages: Purchase services, Your products, the Communications
Credits subscription page, Payment methods, orders and Home's balance card.

Every function returns a queryset or a few values in a fixed number of queries, whatever
the number of lots, entries, cards or subscriptions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet, Subquery
from django.utils import timezone

from accounts.models import AuditEvent, Product, ProductCategory, Subscription
from accounts.selectors import subscriptions_with_usage
from credits.billing.choices import OrderKind, OrderStatus
from credits.billing.models import (
    BillingProfile,
    EnterpriseAgreement,
    Invoice,
    Order,
    PaymentMethod,
)
from credits.billing.rules import credits_available
from credits.billing.selectors.home_alerts import HomeAlerts, home_alerts
from credits.billing.selectors.invoices import invoice_overdue_first
from credits.billing.selectors.runway import Runway, credits_runway
from credits.common.money import ZERO
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry
from credits.ledger.models.lots import FundLot
from credits.ledger.selectors import balance_at, credit_account_for_tenant

if TYPE_CHECKING:
    from accounts.models import Tenant

CHART_DAYS = 90
LOTS_SHOWN = 24
HISTORY_SHOWN = 8


def credits_subscription_of(tenant: Tenant) -> Subscription | None:
    """The Communications Credits subscription with ``assigned`` (licenses in use)."""
    return (
        subscriptions_with_usage(tenant=tenant)
        .filter(product__code=Product.COMMUNICATIONS_CREDITS)
        .first()
    )


def billing_profile_of(account: CreditAccount) -> BillingProfile | None:
    return (
        BillingProfile.objects.filter(account=account)
        .select_related("card", "enterprise_agreement")
        .first()
    )


def saved_cards(tenant: Tenant) -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.for_tenant(tenant).saved().listed()


def agreements(tenant: Tenant) -> QuerySet[EnterpriseAgreement]:
    """The tenant's active agreements; none unless it buys through volume licensing."""
    if not tenant.volume_licensing:
        return EnterpriseAgreement.objects.none()
    return EnterpriseAgreement.objects.for_tenant(tenant).active().order_by("number")


@dataclass(frozen=True)
class CatalogEntry:
    product: Product
    subscription: Subscription | None

    @property
    def owned(self) -> bool:
        return self.subscription is not None

    @property
    def is_credits(self) -> bool:
        return self.product.code == Product.COMMUNICATIONS_CREDITS


@dataclass(frozen=True)
class CatalogSection:
    category: str
    label: str
    entries: list[CatalogEntry]


def catalog(tenant: Tenant, *, category: str = "") -> list[CatalogSection]:
    """The products on sale by category (in the catalog's order), with the tenant's
    subscription to each; two queries."""
    owned = {s.product_id: s for s in Subscription.objects.for_tenant(tenant)}
    products = Product.objects.purchasable().order_by("sort_order", "name")
    if category:
        products = products.filter(category=category)
    sections: list[CatalogSection] = []
    for value, label in ProductCategory.choices:
        entries = [
            CatalogEntry(product=p, subscription=owned.get(p.pk))
            for p in products
            if p.category == value
        ]
        if entries:
            sections.append(CatalogSection(category=value, label=label, entries=entries))
    return sections


def lots_shown(account: CreditAccount) -> QuerySet[FundLot]:
    """Fund lots for the subscription page: newest purchase first (at most LOTS_SHOWN)."""
    return FundLot.objects.for_account(account).order_by("-purchased_at", "-id")[:LOTS_SHOWN]


@dataclass(frozen=True)
class BalancePoint:
    day: dt.date
    balance: Decimal


def balance_history(
    account: CreditAccount, *, days: int = CHART_DAYS, now: dt.datetime | None = None
) -> list[BalancePoint]:
    """The balance at the end of each of the last ``days`` days (UTC), oldest first.

    One query whatever the number of entries: for the day before the window and for each
    day in it, the balance after the last entry before that day ended, each one probe of
    the account's entries by time (the ledger is kept in time order), rather than a read
    of every entry in the window.
    """
    now = now or timezone.now()
    today = now.astimezone(dt.UTC).date()
    first_day = today - dt.timedelta(days=days - 1)
    day_ends = {
        f"end_{offset}": dt.datetime.combine(
            first_day + dt.timedelta(days=offset), dt.time.min, tzinfo=dt.UTC
        ) + dt.timedelta(days=1)
        for offset in range(-1, days)
    }
    entries = LedgerEntry.objects.for_account(account)
    closing = (
        CreditAccount.objects.filter(pk=account.pk)
        .annotate(**{
            name: Subquery(
                entries.filter(created_at__lt=end)
                .order_by("-created_at", "-id")
                .values("balance_after")[:1]
            )
            for name, end in day_ends.items()
        })
        .values(*day_ends)
        .first()
    ) or {}
    balance = closing.get("end_-1") or ZERO
    points = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        found = closing.get(f"end_{offset}")
        balance = found if found is not None else balance
        points.append(BalancePoint(day=day, balance=balance))
    return points


BILLING_AUDIT_ACTIONS = (
    "credits.order_succeeded",
    "credits.order_failed",
    "credits.recharge_settings_update",
    "credits.balance_alert_update",
    "credits.billing_profile_update",
    "credits.card_add",
    "credits.card_remove",
    "credits.card_set_default",
    "credits.subscription_activate",
    "credits.account_open",
)


def billing_history(tenant: Tenant, *, limit: int = HISTORY_SHOWN) -> QuerySet[AuditEvent]:
    """The latest purchases and settings changes (who, what, when, before and after)."""
    return (
        AuditEvent.objects.for_tenant(tenant)
        .filter(action__in=BILLING_AUDIT_ACTIONS)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def order_for_page() -> QuerySet[Order]:
    return Order.objects.select_related(
        "payment_method", "enterprise_agreement", "placed_by", "ledger_entry", "invoice"
    )


def recharge_failure(account: CreditAccount) -> Order | None:
    """The failed auto-recharge that still stands (nothing changed since), or ``None``."""
    last = (
        Order.objects.filter(tenant_id=account.tenant_id, kind=OrderKind.AUTO_RECHARGE)
        .exclude(status=OrderStatus.PENDING)
        .order_by("-created_at", "-id")
        .first()
    )
    if last is None or last.status != OrderStatus.FAILED:
        return None
    profile = BillingProfile.objects.filter(account=account).first()
    changed = [t for t in (account.recharge_settings_updated_at,
                           profile.updated_at if profile else None) if t is not None]
    if changed and max(changed) > last.completed_at:
        return None
    return last



@dataclass(frozen=True)
class HomeCreditsCard:
    """Home's balance card: the account (None when credits aren't set up), its usable
    balance, why credits can't be set up (RU, KR, TW), if so, and the alerts: a failed
    auto-recharge that still stands, an overdue invoice."""

    account: CreditAccount | None
    balance: Decimal | None
    unavailable: bool
    recharge_failure: Order | None = None
    overdue_invoice: Invoice | None = None
    alerts: HomeAlerts | None = None  # low balance, funds expiring, an expired card
    runway: Runway | None = None  # how long the balance lasts at the current rate


def credits_home_card(*, tenant: Tenant, invoices: bool = False) -> HomeCreditsCard:
    """The account, its usable balance, a failed auto-recharge that still stands and,
    with ``invoices`` (for the admins who pay them), the oldest overdue invoice. One
    query without credits; with credits, the balance, the last recharge (and its billing
    profile when it failed) and, with ``invoices``, one for the overdue invoice; and the
    alerts' (``credits.billing.selectors.home_alerts``: two or three); and, while the
    balance is positive, the runway's (the funding advice's spend: one)."""
    account = credit_account_for_tenant(tenant)
    balance = balance_at(account=account) if account is not None else None
    return HomeCreditsCard(
        account=account,
        balance=balance,
        alerts=home_alerts(account=account, balance=balance) if account is not None else None,
        unavailable=not credits_available(tenant.country),
        recharge_failure=recharge_failure(account) if account is not None else None,
        overdue_invoice=(
            invoice_overdue_first(tenant) if invoices and account is not None else None
        ),
        runway=(
            credits_runway(tenant=tenant, account=account, balance=balance)
            if account is not None else None
        ),
    )
