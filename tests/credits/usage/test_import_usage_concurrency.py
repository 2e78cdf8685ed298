"""The same file imported by several processes at once, on PostgreSQL: charged once.

Each process is forked with no database connection and opens its own; they start together
(a barrier) and import the same call-record file. Imports of one tenant are serialized by
a row lock on the tenant, so exactly one process imports each record and the others see
duplicates. The test commits for real, so it uses a transactional database.
"""

from __future__ import annotations

import multiprocessing
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections

from credits.ledger.verification import account_verify
from credits.models import CallRecord, LedgerEntry, MinutePool, UsageSource
from credits.usage.services.imports import usage_import_csv
from credits.usage.services.rates import rates_import
from tests.accounts.factories import TenantFactory
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


def _import(tenant_id: int, text: str, barrier, results) -> None:
    connections.close_all()
    try:
        from accounts.models import Tenant

        tenant = Tenant.objects.get(pk=tenant_id)
        barrier.wait(timeout=60)
        result = usage_import_csv(tenant=tenant, text=text, source=UsageSource.FILE,
                                  chunk_size=7)
        results.put((result.imported, result.duplicates, str(result.amount_charged)))
    except Exception as exc:  # reported by the parent
        results.put(repr(exc))
    finally:
        connections.close_all()


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
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    connections.close_all()
    workers = [
        context.Process(target=_import, args=(tenant.pk, text, barrier, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)

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
