"""``manage.py bench_usage``: prints the import rate, the plain insert rate and the ratio."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import Tenant
from credits.models import CallDaySummary, CallRecord, CreditAccount, LedgerEntry, Rate


def test_bench_prints_both_rates_and_their_ratio_and_cleans_up(db):
    out = StringIO()
    call_command("bench_usage", "--calls", "300", "--chunk-size", "100", stdout=out)
    output = out.getvalue()
    assert "import + rating + charging     300 calls" in output
    assert "plain bulk insert              300 rows" in output
    assert "ratio" in output and "calls/s" in output and "rows/s" in output
    assert "calls charged to credits" in output
    assert "import client CPU" in output and "µs per call" in output
    assert "load average" in output and "before" in output and "after" in output
    assert "ledger verification clean" in output
    assert not Tenant.objects.filter(slug__startswith="bench-usage-").exists()
    assert not CallRecord.objects.exists() and not LedgerEntry.objects.exists()
    assert not CallDaySummary.objects.exists()
    assert not CreditAccount.objects.exists()
    assert Rate.objects.exists()  # it loaded the sample rates it needed


def test_bench_can_keep_its_data(db):
    call_command("bench_usage", "--calls", "50", "--keep", stdout=StringIO())
    tenant = Tenant.objects.get(slug__endswith="-import")
    assert CallRecord.objects.filter(tenant=tenant).count() == 50
    plain = Tenant.objects.get(slug__endswith="-plain")
    assert CallRecord.objects.filter(tenant=plain).count() == 50
    for kept in (tenant, plain):  # imported or inserted directly, the rollup has them
        summed = CallDaySummary.objects.filter(tenant=kept).values_list("calls", flat=True)
        assert sum(summed) == 50


def test_rounds_end_with_their_medians_and_ranges_and_leave_nothing(db):
    out = StringIO()
    call_command("bench_usage", "--calls", "40", "--repeat", "3", stdout=out)
    output = out.getvalue()
    assert [line for line in output.splitlines() if line.startswith("Round")] == [
        "Round 1 of 3", "Round 2 of 3", "Round 3 of 3"
    ]
    assert output.count("import + rating + charging      40 calls") == 3
    assert output.count("rows/s  (bulk_create)") == 1  # the first round only
    assert output.count("ledger verification clean") == 3
    summary = output[output.index("Over 3 rounds"):]
    assert summary.startswith("Over 3 rounds: import median ")
    assert "calls/s" in summary and "–" in summary
    if connection.vendor == "postgresql":  # the database's pace, round by round
        assert "rows/s; import / COPY median " in summary
    assert not Tenant.objects.filter(slug__startswith="bench-usage-").exists()
    assert not CallRecord.objects.exists()


@pytest.mark.parametrize("args", [
    ["--calls", "0"], ["--calls", "10", "--chunk-size", "0"], ["--calls", "10", "--repeat", "0"],
    ["--calls", "10", "--repeat", "51"],
])
def test_bench_refuses_nonsense(db, args):
    with pytest.raises(CommandError):
        call_command("bench_usage", *args, stdout=StringIO())
