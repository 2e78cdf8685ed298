"""Credit history for the demo tenants (README, "Demo sign-ins"), posted through the ledger.

``seed_demo`` calls ``seed_credit_history`` once per demo tenant. Every posting carries
an idempotency key derived from the scenario, so running it again replays the same
entries and adds nothing. The history is a year of fundings and monthly usage, posted in
time order with the expiry of each lot written at the moment it expired:

- **contoso** (USD): a 500 purchase that expired 5 weeks ago with 70.00 unused (its
  expiry entry is there), a manual top-up, an auto-recharge (recharge 100 when the
  balance falls below 25, capped at 500 a month) and a recent purchase: a healthy balance
  of 281.45.
- **fabrikam** (GBP): one-time purchases only, no auto-recharge. The first lot expired
  with 23.60 unused; the second has 8.40 left and expires in about 20 days, which is the
  whole balance: near zero, with funds about to expire.
- **northwind**: has not set up Communications Credits; no account is created.

Usage entries here are monthly totals (reference type ``demo``), standing in for the call
records a later import rates one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from credits.billing.services.accounts import credit_account_open
from credits.ledger import services as ledger
from credits.ledger.choices import FundSource
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry
from credits.ledger.models.lots import FundLot

if TYPE_CHECKING:
    from accounts.models import Tenant, User


@dataclass(frozen=True)
class DemoPosting:
    days_ago: int
    kind: str  # a FundSource value for fundings, or "usage"
    amount: str


USAGE = "usage"

_CONTOSO = (
    DemoPosting(400, FundSource.PURCHASE, "500.00"),
    *(
        DemoPosting(days, USAGE, amount)
        for days, amount in (
            (385, "31.2500"), (355, "36.4875"), (325, "33.9000"), (295, "38.1250"),
            (265, "35.6000"),
        )
    ),
    DemoPosting(240, FundSource.TOP_UP, "150.00"),
    *(
        DemoPosting(days, USAGE, amount)
        for days, amount in (
            (235, "37.0125"), (205, "34.4500"), (175, "39.8750"), (145, "36.2250"),
            (115, "35.5000"), (85, "37.9375"), (55, "33.6375"),
        )
    ),
    # The 500 purchase expires about 35 days ago with 70.00 left.
    DemoPosting(25, USAGE, "61.2500"),
    DemoPosting(18, USAGE, "70.1000"),
    DemoPosting(18, FundSource.AUTO_RECHARGE, "100.00"),  # the balance fell to 18.65 < 25
    DemoPosting(10, USAGE, "52.4000"),
    DemoPosting(5, FundSource.PURCHASE, "250.00"),
    DemoPosting(2, USAGE, "34.8000"),
)

_FABRIKAM = (
    DemoPosting(430, FundSource.PURCHASE, "150.00"),
    DemoPosting(410, USAGE, "12.40"),
    DemoPosting(380, USAGE, "14.15"),
    DemoPosting(350, USAGE, "11.80"),
    DemoPosting(345, FundSource.PURCHASE, "100.00"),
    *(
        DemoPosting(days, USAGE, amount)
        for days, amount in (
            (320, "13.05"), (290, "12.60"), (260, "10.95"), (230, "13.70"), (200, "11.25"),
            (170, "12.85"), (140, "13.65"),
        )
    ),
    # The first purchase expires about 65 days ago with 23.60 left.
    DemoPosting(50, USAGE, "38.75"),
    DemoPosting(30, USAGE, "29.10"),
    DemoPosting(10, USAGE, "23.75"),
)

SCENARIOS: dict[str, tuple[DemoPosting, ...]] = {"contoso": _CONTOSO, "fabrikam": _FABRIKAM}
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

_FUNDING_MEMO = {
    FundSource.PURCHASE: "Communications Credits purchase",
    FundSource.TOP_UP: "Funds added manually",
    FundSource.AUTO_RECHARGE: "Auto-recharge: the balance fell below the trigger amount",
}


def seed_credit_history(
    *,
    tenant: Tenant,
    scenario: str,
    now: datetime,
    acting_user: User | None = None,
    before_posting: Callable[[CreditAccount, datetime], None] | None = None,
) -> CreditAccount | None:
    """Give ``tenant`` the credit history of ``scenario``; idempotent. Returns the account
    (None for a scenario without credits). ``acting_user`` is recorded on the purchases and
    top-ups (an admin of the tenant); usage, recharges and expiries are the system's.

    ``before_posting(account, at)`` runs before each posting and once more with ``now``:
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

    account = credit_account_open(tenant=tenant, acting_user=acting_user)
    for index, posting in enumerate(postings):
        at = now - timedelta(days=posting.days_ago) + timedelta(minutes=index)
        if before_posting is not None:
            before_posting(account, at)
        _expire_through(account, at)
        _post(account, posting, at=at, key=f"demo:{scenario}:{index}", acting_user=acting_user)
    if before_posting is not None:
        before_posting(account, now)
    _expire_through(account, now)
    CreditAccount.objects.filter(pk=account.pk).update(**RECHARGE_SETTINGS[scenario])
    account.refresh_from_db()
    return account


def _post(
    account: CreditAccount, posting: DemoPosting, *, at: datetime, key: str,
    acting_user: User | None,
) -> LedgerEntry:
    amount = Decimal(posting.amount)
    reference = {"reference_type": "demo", "reference_id": key.removeprefix("demo:")}
    if posting.kind == USAGE:
        return ledger.usage_charge(
            account=account, amount=amount, currency=account.currency, idempotency_key=key,
            memo=f"PSTN usage to {at:%d %B %Y} (demo)", at=at, **reference,
        )
    by_admin = posting.kind != FundSource.AUTO_RECHARGE
    return ledger.funds_add(
        account=account, amount=amount, currency=account.currency, source=posting.kind,
        idempotency_key=key, acting_user=acting_user if by_admin else None,
        memo=_FUNDING_MEMO[posting.kind], at=at, **reference,
    )


def _expire_through(account: CreditAccount, at: datetime) -> None:
    """Write each expiry due by ``at`` at the moment its lot expired, in order."""
    for lot in FundLot.objects.for_account(account).due_for_expiry(at).draw_order():
        ledger.funds_expire(account=account, at=lot.expires_at)
