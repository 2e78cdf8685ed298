"""Real concurrency on PostgreSQL: many workers checking one account's low-balance alert
at once (calls imported by several workers, the daily sweep) send one alert per crossing;
the account's row lock serializes them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from credits.ledger import services as ledger
from credits.models import FundSource, Notification, NotificationKind
from credits.notifications.alerts import balance_alert_recheck, balance_alert_set
from tests.accounts.factories import TenantFactory
from tests.concurrency import in_parallel
from tests.credits.factories import CreditAccountFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKERS = 8


def test_concurrent_checks_send_one_alert_per_crossing():
    assert connection.vendor == "postgresql"
    account = CreditAccountFactory(tenant=TenantFactory(name="Concurrent", slug="concurrent"))
    ledger.funds_add(account=account, amount=Decimal("100"), currency="USD",
                     source=FundSource.PURCHASE, idempotency_key="seed")
    balance_alert_set(account=account, threshold=Decimal("50"), acting_user=None)
    ledger.usage_charge(account=account, amount=Decimal("60"), currency="USD",
                        idempotency_key="call-1")

    results = in_parallel(lambda n: balance_alert_recheck(account_id=account.pk), WORKERS)

    assert not [r for r in results if isinstance(r, Exception)]
    alerts = Notification.objects.filter(tenant=account.tenant, kind=NotificationKind.BALANCE_LOW)
    assert alerts.count() == 1
    # Funds, then another fall below: one more, however many check at once.
    ledger.funds_add(account=account, amount=Decimal("50"), currency="USD",
                     source=FundSource.TOP_UP, idempotency_key="top-up")
    ledger.usage_charge(account=account, amount=Decimal("45"), currency="USD",
                        idempotency_key="call-2")
    in_parallel(lambda n: balance_alert_recheck(account_id=account.pk), WORKERS)
    assert alerts.count() == 2
