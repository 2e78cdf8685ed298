"""Rates: the import (all or nothing, bad lines by number), the command, the samples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from credits.exceptions import RatesInvalid
from credits.models import NumberType, Rate
from credits.usage.selectors import product_includes, rate_table, rating_reference_kept
from credits.usage.services.rates import SAMPLE_RATES, rates_import, sample_rates_load

HEADER = "country,number_type,per_minute,connection_fee,currency,effective_from\n"


def test_imports_rates_with_their_effective_date(db):
    result = rates_import(text=HEADER + "GB,mobile,0.0890,0.0100,GBP,2025-03-01\n")
    rate = Rate.objects.get()
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert (rate.country, rate.number_type, rate.currency) == ("GB", "mobile", "GBP")
    assert (rate.per_minute, rate.connection_fee) == (Decimal("0.089"), Decimal("0.01"))
    assert rate.effective_from == date(2025, 3, 1)


def test_without_the_date_column_the_given_date_applies(db):
    text = "country,number_type,per_minute,connection_fee,currency\nDE,fixed,0.03,0,EUR\n"
    rates_import(text=text, effective_from=date(2026, 1, 1))
    assert Rate.objects.get().effective_from == date(2026, 1, 1)


def test_importing_again_changes_nothing_and_a_new_price_updates(db):
    text = HEADER + "US,fixed,0.02,0,USD,2025-01-01\nUS,mobile,0.03,0,USD,2025-01-01\n"
    rates_import(text=text)
    assert rates_import(text=text).unchanged == 2
    changed = rates_import(text=text.replace("0.03,0", "0.035,0"))
    assert (changed.updated, changed.unchanged) == (1, 1)
    assert Rate.objects.get(number_type="mobile").per_minute == Decimal("0.035")


def test_every_bad_line_is_reported_by_number_and_nothing_is_imported(db):
    text = (
        "# a comment line\n"
        + HEADER
        + "US,fixed,0.02,0,USD,2025-01-01\n"  # line 3: good
        + "XX,fixed,0.02,0,USD,2025-01-01\n"  # 4
        + "US,landline,0.02,0,USD,2025-01-01\n"  # 5
        + "US,mobile,-0.01,0,USD,2025-01-01\n"  # 6
        + "US,mobile,0.00001,0,USD,2025-01-01\n"  # 7
        + "US,mobile,abc,0,USD,2025-01-01\n"  # 8
        + "US,mobile,0.02,0,ZZZ,2025-01-01\n"  # 9
        + "US,mobile,0.02,0,USD,01/02/2025\n"  # 10
        + "US,fixed,0.03,0,USD,2025-01-01\n"  # 11: repeats line 3
        + "US,premium,1.5\n"  # 12
        + "\n"
        + "US,premium,5000,0,USD,2025-01-01\n"  # 14
    )
    with pytest.raises(RatesInvalid) as error:
        rates_import(text=text)
    problems = dict(error.value.problems)
    assert sorted(problems) == [4, 5, 6, 7, 8, 9, 10, 11, 12, 14]
    assert problems[4] == "country 'XX' is not an ISO 3166 code"
    assert problems[5].startswith("number_type 'landline' is not one of fixed, mobile")
    assert problems[6] == "per_minute must be zero or more, not '-0.01'"
    assert problems[7] == "per_minute '0.00001' has more than 4 decimals"
    assert problems[8] == "per_minute 'abc' is not a number"
    assert problems[9] == "currency 'ZZZ' is not an ISO 4217 code"
    assert problems[10] == "effective_from '01/02/2025' is not a date (YYYY-MM-DD)"
    assert problems[11] == "repeats the US fixed USD rate of line 3"
    assert problems[12] == "has 3 fields, the header has 6"
    assert problems[14].startswith("per_minute '5000' is implausibly high")
    assert error.value.message == "10 bad lines; nothing was imported."
    assert not Rate.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        ("country,number_type,per_minute\n", "the header lacks connection_fee, currency"),
        ("country,number_type,per_minute,connection_fee,currency,colour\n",
         "has unknown 'colour'"),
    ],
)
def test_a_bad_header_refuses_the_file(db, text, message):
    with pytest.raises(RatesInvalid, match=message):
        rates_import(text=text)


def test_the_sample_rates_cover_40_countries_in_each_number_type(db):
    first = sample_rates_load()
    again = sample_rates_load()
    assert first.created > 0 and again.unchanged == first.created
    for currency in ("USD", "GBP", "EUR"):
        rates = Rate.objects.filter(currency=currency)
        for number_type in NumberType.values:
            countries = set(rates.filter(number_type=number_type).values_list("country",
                                                                               flat=True))
            assert len(countries) >= 40, (currency, number_type)
    assert "SAMPLE RATES" in SAMPLE_RATES.read_text().splitlines()[0]
    assert "NOT real prices" in SAMPLE_RATES.read_text().splitlines()[0]


def test_command_imports_a_file(db, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(HEADER + "FR,fixed,0.025,0.01,EUR,2025-01-01\n", encoding="utf-8")
    out = StringIO()
    call_command("import_rates", str(path), stdout=out)
    assert "1 rates: 1 new, 0 changed, 0 unchanged." in out.getvalue()


def test_command_reports_bad_lines_with_file_and_line(db, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(HEADER + "FR,fixed,0.025,0.01,EUR,2025-01-01\nFR,fax,1,0,EUR,2025-01-01\n",
                    encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="1 bad line; nothing was imported"):
        call_command("import_rates", str(path), stdout=StringIO(), stderr=err)
    assert f"{path}:3: number_type 'fax' is not one of" in err.getvalue()
    assert not Rate.objects.exists()


def test_command_loads_the_samples(db):
    out = StringIO()
    call_command("import_rates", "--sample", stdout=out)
    assert "new" in out.getvalue() and Rate.objects.count() >= 40 * 4 * 3


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "Give a rate file, or --sample"), (["--sample", "x.csv"], "Give a rate file, or"),
     (["/nonexistent.csv"], "no such file")],
)
def test_command_refusals(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_rates", *args, stdout=StringIO(), stderr=StringIO())


# ---------------------------------------------------------------- the kept rate tables


def test_a_kept_rate_table_is_read_once_and_read_again_after_a_rate_import(
    db, django_assert_num_queries
):
    """``rating_reference_kept()`` (the demo's day-by-day history): the rates and the
    products' inclusions are read once for the block, and a rate import inside it makes
    the next rating read the new rates."""
    rates_import(text=HEADER + "GB,mobile,0.0890,0.0100,GBP,2025-03-01\n")
    day = date(2026, 1, 5)
    with rating_reference_kept():
        with django_assert_num_queries(1):
            first = rate_table(currency="GBP")
        with django_assert_num_queries(0):
            assert rate_table(currency="GBP") is first
        with django_assert_num_queries(1):
            product_includes()
        with django_assert_num_queries(0):
            product_includes()
        assert first.lookup("GB", "mobile", day).per_minute == Decimal("0.0890")

        rates_import(text=HEADER + "GB,mobile,0.0950,0.0100,GBP,2025-03-01\n")

        assert rate_table(currency="GBP").lookup("GB", "mobile", day).per_minute == Decimal(
            "0.0950"
        )
    # Outside a block every call reads the table.
    with django_assert_num_queries(2):
        rate_table(currency="GBP")
        rate_table(currency="GBP")
