"""``manage.py bench_pages``: times the PSTN usage report at two sizes, prints the ratio
and the query counts, and removes its tenant."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum

from accounts.models import Tenant, User
from credits.models import CallDaySummary, CallRecord, CreditAccount, LedgerEntry


def test_bench_pages_prints_both_times_the_ratio_and_queries_and_cleans_up(db):
    out = StringIO()
    call_command("bench_pages", "--small", "50", "--large", "200", "--skip-export", stdout=out)
    output = out.getvalue()

    assert "50 calls ready" in output and "200 calls ready" in output
    medians = re.findall(r"7 days \(default\)\s+median\s+([\d.]+) ms.*, (\d+) queries", output)
    assert len(medians) == 2 and all(float(ms) > 0 for ms, _ in medians)
    assert len(re.findall(r"28 days\s+median\s+[\d.]+ ms", output)) == 2
    assert re.search(r"ratio 7 days \(default\): [\d.]+ \(200 vs 50 calls", output)
    assert re.search(r"ratio 28 days: [\d.]+ .*queries \d+ -> \d+", output)
    assert "export" not in output
    assert not Tenant.objects.filter(slug__startswith="bench-pages-").exists()
    assert not CallRecord.objects.exists() and not LedgerEntry.objects.exists()
    assert not CallDaySummary.objects.exists()
    assert not CreditAccount.objects.exists() and not User.objects.exists()


def test_bench_pages_can_keep_its_calls_with_their_charges(db):
    call_command("bench_pages", "--small", "30", "--large", "120", "--skip-export", "--keep",
                 stdout=StringIO())
    tenant = Tenant.objects.get(slug__startswith="bench-pages-")
    calls = CallRecord.objects.filter(tenant=tenant)
    assert calls.count() == 120
    charged = calls.filter(charge__gt=0)
    assert charged.exists() and not charged.filter(entry__isnull=True).exists()
    # The copies written directly are in the report's per-day rollup too.
    summed = CallDaySummary.objects.filter(tenant=tenant).aggregate(
        calls=Sum("calls"), minutes=Sum("billed_minutes"), amount=Sum("charge"))
    assert summed == calls.aggregate(
        calls=Count("*"), minutes=Sum("billed_minutes"), amount=Sum("charge"))
    assert User.objects.get(username__startswith="reports@").role_assignments.exists()


@pytest.mark.parametrize("args", [["--small", "0"], ["--small", "100", "--large", "100"]])
def test_bench_pages_refuses_nonsense(db, args):
    with pytest.raises(CommandError):
        call_command("bench_pages", *args, "--skip-export", stdout=StringIO())
