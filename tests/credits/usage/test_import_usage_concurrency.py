"""The same file imported by several processes at once, on PostgreSQL: charged once.

Each process is forked with no database connection and opens its own; they start together
(a barrier, tests.concurrency) and import the same call-record file. Imports of one tenant
are serialized by a row lock on the tenant, so exactly one process imports each record and
the others see duplicates. The test commits for real, so it uses a transactional database.
"""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from credits.ledger.verification import account_verify
from credits.models import CallRecord, LedgerEntry, MinutePool, UsageSource
from credits.usage.services.imports import usage_import_csv
from credits.usage.services.rates import rates_import
from tests.accounts.factories import TenantFactory
from tests.concurrency import in_parallel
from tests.credits.calls import (
    CREDITS,
    DOMESTIC,
    GB_FIXED,
    TEST_RATES,
    US_FIXED,
    csv_text,
    person,
    record,
)
from tests.credits.factories import CreditAccountFactory, fund

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROCESSES = 4


def test_the_same_file_from_several_processes_at_once_charges_once():
    assert connection.vendor == "postgresql"
    rates_import(text=TEST_RATES)
    tenant = TenantFactory(name="Concurrent calls", slug="concurrent-calls")
    account = CreditAccountFactory(tenant=tenant)
    fund(account, "100.00")
    ana = person(tenant, "ana", DOMESTIC, CREDITS)
    cy = person(tenant, "cy", CREDITS)
    rows = [
        record(upn=(cy if n % 2 else ana).username, destination=GB_FIXED if n % 2 else US_FIXED,
               seconds=60)
        for n in range(40)
    ]
    text = csv_text(rows)

    def work(n: int) -> tuple[int, int, str]:
        result = usage_import_csv(tenant=tenant, text=text, source=UsageSource.FILE,
                                  chunk_size=7)
        return result.imported, result.duplicates, str(result.amount_charged)

    outcomes = in_parallel(work, PROCESSES, processes=True)

    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert sum(imported for imported, _, _ in outcomes) == 40
    assert sum(duplicates for _, duplicates, _ in outcomes) == 40 * (PROCESSES - 1)
    assert sum(Decimal(amount) for _, _, amount in outcomes) == Decimal("1.00")  # 20 x 0.05
    assert CallRecord.objects.filter(tenant=tenant).count() == 40
    assert LedgerEntry.objects.filter(account=account, reference_type="call").count() == 20
    assert MinutePool.objects.get(tenant=tenant).minutes_used == 20
    account.refresh_from_db()
    assert account.balance == Decimal("99.00")
    assert account_verify(account) == []
    out = StringIO()
    call_command("ledger_verify", stdout=out, stderr=StringIO())
    assert "reconcile" in out.getvalue()
