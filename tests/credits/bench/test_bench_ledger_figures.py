"""``manage.py bench_ledger`` prints the round trips of a posting, the client CPU time
per posting and the load average; ``--hordak`` says what it needs when django-hordak is
not installed (it is a benchmark-only extra, not in the test settings)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from credits.models import LedgerDaySummary


def test_bench_prints_round_trips_cpu_and_load(db):
    out = StringIO()
    call_command("bench_ledger", "--postings", "10", "--processes", "0", stdout=out)
    output = out.getvalue()
    assert "load average" in output and "load average after" in output
    assert "client CPU" in output and "ms/posting" in output
    assert "round trips per posting: usage charge" in output and "funding" in output
    assert not LedgerDaySummary.objects.exists()  # cleaned up with the benchmark tenants


def test_bench_hordak_needs_the_bench_settings(db):
    with pytest.raises(CommandError, match="config.settings.bench"):
        call_command(
            "bench_ledger", "--postings", "5", "--processes", "0", "--hordak", stdout=StringIO()
        )


def test_bench_times_the_funding_advice_in_one_query(db):
    out = StringIO()
    call_command(
        "bench_ledger", "--postings", "3", "--processes", "0", "--advice", "60", stdout=out
    )
    assert "Funding advice at 60 entries: median" in out.getvalue()
    assert "ms, 1 query" in out.getvalue()
