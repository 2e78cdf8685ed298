from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import Tenant
from credits.models import CreditAccount, LedgerEntry


def test_bench_prints_postings_per_second_and_cleans_up(db):
    out = StringIO()
    call_command("bench_ledger", "--postings", "30", "--processes", "0", stdout=out)
    output = out.getvalue()
    assert "1 process, 1 account" in output and "/s" in output
    assert "ledger verification clean" in output
    assert not Tenant.objects.filter(slug__startswith="bench-ledger-").exists()
    assert not LedgerEntry.objects.exists() and not CreditAccount.objects.exists()


def test_bench_can_keep_its_data(db):
    call_command("bench_ledger", "--postings", "5", "--processes", "0", "--keep", stdout=StringIO())
    account = CreditAccount.objects.get(tenant__slug__startswith="bench-ledger-")
    assert account.entries.count() == 6  # the seed funding and 5 postings


def test_bench_refuses_processes_on_an_in_memory_database(db):
    if connection.vendor != "sqlite":
        pytest.skip("only an in-memory SQLite database cannot be shared with other processes")
    with pytest.raises(CommandError, match="in-memory"):
        call_command("bench_ledger", "--postings", "5", "--processes", "2", stdout=StringIO())
