"""``manage.py bench_pages``: times the console's pages (DB time) at two sizes, prints the
ratios and the query counts, and removes its tenant."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum

from accounts.models import Tenant, User
from credits.models import CallDaySummary, CallRecord, CreditAccount, LedgerEntry

SMALL_RUN = ("--small", "50", "--large", "200", "--users-large", "320", "--requests", "1",
             "--skip-export")
PAGES = (
    "Home", "Active users", "Active users, search", "PSTN usage, 7 days", "PSTN usage, 28 days",
    "PSTN usage, search", "PSTN usage, search 28 days", "PSTN usage, by charge",
    "PSTN usage, by charge 28 d", "Communications Credits", "Bills & payments",
)


def test_bench_pages_prints_db_times_ratios_and_queries_and_cleans_up(db):
    out = StringIO()
    call_command("bench_pages", *SMALL_RUN, stdout=out)
    output = out.getvalue()

    assert "50 calls and 300 users ready" in output
    assert "200 calls and 320 users ready" in output
    assert "load average" in output
    for page in PAGES:
        measured = re.findall(
            rf"^    {re.escape(page)}\s+DB\s+([\d.]+) ms .*page\s+([\d.]+) ms, (\d+) queries$",
            output, re.MULTILINE,
        )
        assert len(measured) == 2, page
        assert all(float(page_ms) > 0 and int(queries) > 0 for _db, page_ms, queries in measured)
        assert re.search(
            rf"^  {re.escape(page)}\s+[\d.]+ms\s+[\d.]+ms\s+[\d.]+ .* \d+ -> \d+ ",
            output, re.MULTILINE,
        ), page
    assert "export" not in output
    assert not Tenant.objects.filter(slug__startswith="bench-pages-").exists()
    assert not CallRecord.objects.exists() and not LedgerEntry.objects.exists()
    assert not CallDaySummary.objects.exists()
    assert not CreditAccount.objects.exists() and not User.objects.exists()


def test_bench_pages_can_keep_its_calls_with_their_charges(db):
    call_command("bench_pages", "--small", "30", "--large", "120", "--users-large", "310",
                 "--requests", "1", "--skip-export", "--keep", stdout=StringIO())
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
    assert User.objects.get(username__startswith="admin@").role_assignments.exists()
    assert User.objects.filter(tenant=tenant).count() == 311  # 310 users and the admin


@pytest.mark.parametrize("args", [
    ["--small", "0"], ["--small", "100", "--large", "100"], ["--users-small", "10"],
    ["--users-small", "500", "--users-large", "400"], ["--requests", "0"],
])
def test_bench_pages_refuses_nonsense(db, args):
    with pytest.raises(CommandError):
        call_command("bench_pages", *args, "--skip-export", stdout=StringIO())
