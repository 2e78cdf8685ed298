"""``manage.py import_usage --tenant SLUG FILE.csv``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from credits.models import CallRecord, LedgerEntry
from tests.credits.calls import (
    CREDITS,
    GB_FIXED,
    csv_text,
    person,
    record,
    test_rates,  # noqa: F401 - fixture
)
from tests.credits.factories import fund


@pytest.fixture
def usage_file(tenant, account, test_rates, tmp_path):  # noqa: F811
    fund(account, "10.00")
    cy = person(tenant, "cy", CREDITS)
    path = tmp_path / "usage.csv"
    path.write_text(csv_text([record(upn=cy.username, destination=GB_FIXED, seconds=120)
                              for _ in range(3)]), encoding="utf-8")
    return path


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_usage", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_and_prints_the_summary(usage_file):
    out, err = run("--tenant", "contoso", str(usage_file))
    assert "3 imported, 0 duplicates, 0 conflicts, 0 rejected (of 3 records)" in out
    assert "0 minutes from pools; 3 calls charged to credits: 6 minutes, 0.2700 USD" in out
    assert err == ""


def test_a_second_run_finds_duplicates_and_charges_nothing(usage_file):
    run("--tenant", "contoso", str(usage_file))
    out, _ = run("--tenant", "contoso", str(usage_file))
    assert "0 imported, 3 duplicates" in out
    assert LedgerEntry.objects.filter(reference_type="call").count() == 3


def test_rejected_rows_are_listed_by_line_and_the_exit_status_is_1(usage_file, tenant):
    with usage_file.open("a", encoding="utf-8") as handle:
        handle.write(csv_text([record(upn="nobody@contoso.example")]).split("\n", 1)[1])
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 rejected and 0 conflicting records"):
        call_command("import_usage", "--tenant", "contoso", str(usage_file), stdout=out,
                     stderr=err)
    assert f"{usage_file}:5: rejected: nobody@contoso.example is not a user" in err.getvalue()
    assert "3 imported" in out.getvalue()
    assert CallRecord.objects.count() == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "tailspin", "x.csv"], "No tenant with the slug 'tailspin'"),
        (["--tenant", "contoso", "/nonexistent/usage.csv"], "no such file"),
        (["--tenant", "contoso", "--chunk-size", "0", "x.csv"], "--chunk-size must be"),
    ],
)
def test_refusals(usage_file, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_file_that_is_not_a_call_record_csv(tmp_path, usage_file):
    path = tmp_path / "people.csv"
    path.write_text("name,email\nA,a@b.c\n", encoding="utf-8")
    with pytest.raises(CommandError, match="unknown column 'name'.*Nothing was imported"):
        run("--tenant", "contoso", str(path))
