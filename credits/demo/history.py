"""Credit history for the demo tenants (README, "Demo sign-ins"): orders and calls.

``seed_demo`` calls ``seed_credit_history`` once per demo tenant, after its cards. Every
funding is an order placed and paid with the tenant's card through the order services,
backdated to its day (``credits.demo.funding``): Bills & payments lists it in its month's
statement. Every usage charge is a call record, imported and rated by the usage import
(the ``before_posting`` hook, ``credits.demo.calls``): the PSTN usage report, the
funding advice and the balance all read the same records. Lots expire at the moment they
expired, in time order with the rest. Idempotent: the orders are keyed by the scenario
and the calls by their UsageIds, so running it again adds nothing.

- **contoso** (USD): a set-up purchase a little over a year ago (its lot expired about 5
  weeks ago with what the calls had not used; its expiry entry is there), a manual
  top-up and a recent Add funds; auto-recharge is on (recharge 100 when the balance
  falls below 25, capped at 500 a month): today's calls start one (``credits.demo.recharge``).
- **fabrikam** (GBP): two one-time purchases of 50, no auto-recharge. The calls spend
  the first, then the second down until its paid calls stop near zero; that lot expires
  in about 20 days: near zero, with funds about to expire.
- **northwind**: has not set up Communications Credits; no account is created.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from credits.billing.choices import OrderKind
from credits.billing.services.accounts import credit_account_open
from credits.demo.funding import demo_order
from credits.demo.payments import paying_card
from credits.ledger import services as ledger
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.lots import FundLot

if TYPE_CHECKING:
    from accounts.models import Tenant, User


@dataclass(frozen=True)
class DemoFunding:
    days_ago: int
    kind: str  # an OrderKind
    amount: str

_CONTOSO = (
    DemoFunding(400, OrderKind.PURCHASE, "300.00"),  # expires about 35 days ago
    DemoFunding(240, OrderKind.TOP_UP, "150.00"),
    DemoFunding(5, OrderKind.TOP_UP, "250.00"),
)

_FABRIKAM = (
    DemoFunding(430, OrderKind.PURCHASE, "50.00"),  # spent before it expired
    DemoFunding(345, OrderKind.TOP_UP, "50.00"),  # expires in about 20 days
)

SCENARIOS: dict[str, tuple[DemoFunding, ...]] = {"contoso": _CONTOSO, "fabrikam": _FABRIKAM}
NO_CREDITS_SCENARIOS = frozenset({"northwind"})

RECHARGE_SETTINGS: dict[str, dict[str, object]] = {
    "contoso": {
        "auto_recharge_enabled": True,
        "recharge_amount": Decimal("100.00"),
        "recharge_trigger": Decimal("25.00"),
        "monthly_recharge_limit": Decimal("500.00"),
    },
    "fabrikam": {
        "auto_recharge_enabled": False,
        "recharge_amount": None,
        "recharge_trigger": None,
        "monthly_recharge_limit": None,
    },
}

def history_days(scenario: str) -> int:
    """How many days the scenario's history goes back (its first order): the calls cover
    them all."""
    postings = SCENARIOS.get(scenario, ())
    return max((posting.days_ago for posting in postings), default=0)


def seed_credit_history(
    *,
    tenant: Tenant,
    scenario: str,
    now: datetime,
    acting_user: User | None = None,
    before_posting: Callable[[CreditAccount, datetime], None] | None = None,
) -> CreditAccount | None:
    """Give ``tenant`` the credit history of ``scenario``; idempotent. Returns the account
    (None for a scenario without credits). The orders are paid with the tenant's card
    (``credits.demo.payments`` saves it first) and placed by ``acting_user`` (an admin of
    the tenant); expiries are the system's.

    ``before_posting(account, at)`` runs before each order and once more with ``now``:
    the demo's call history uses it to charge the calls that ended by ``at``, so every
    entry stays in time order."""
    if scenario in NO_CREDITS_SCENARIOS:
        return None
    try:
        postings = SCENARIOS[scenario]
    except KeyError:
        known = ", ".join(sorted([*SCENARIOS, *NO_CREDITS_SCENARIOS]))
        message = f"Unknown credits demo scenario {scenario!r}; use one of {known}."
        raise ValueError(message) from None
    card = paying_card(tenant)
    if card is None:
        raise ValueError(f"{tenant.name} has no saved card to pay its demo orders with.")

    account = credit_account_open(tenant=tenant, acting_user=acting_user)
    for index, posting in enumerate(postings):
        at = now - timedelta(days=posting.days_ago) + timedelta(minutes=index)
        if before_posting is not None:
            before_posting(account, at)
        _expire_through(account, at)
        demo_order(
            tenant=tenant, kind=posting.kind, amount=Decimal(posting.amount), card=card,
            at=at, key=f"demo:{scenario}:{index}", acting_user=acting_user,
        )
        account.refresh_from_db()  # the order added the funds
    if before_posting is not None:
        before_posting(account, now)
    _expire_through(account, now)
    CreditAccount.objects.filter(pk=account.pk).update(**RECHARGE_SETTINGS[scenario])
    account.refresh_from_db()
    return account


def _expire_through(account: CreditAccount, at: datetime) -> None:
    """Write each expiry due by ``at`` at the moment its lot expired, in order."""
    for lot in FundLot.objects.for_account(account).due_for_expiry(at).draw_order():
        ledger.funds_expire(account=account, at=lot.expires_at)
