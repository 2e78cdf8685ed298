"""Text cells a spreadsheet will not run as a formula, and back (docs/file-formats.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.spreadsheets import cell_neutralize, cell_restore


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+SUM(1,2)", "'+SUM(1,2)"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1 (425) 555-0100", "'+1 (425) 555-0100"),
        ("+1-425-555-0100", "'+1-425-555-0100"),
        ("'=1+2", "''=1+2"),
    ],
)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(value, written):
    assert cell_neutralize(value) == written
    assert cell_restore(written) == value


@pytest.mark.parametrize(
    "value",
    ["", "Ana Díaz", "ana@contoso.example", "+14255550100", "+1 425 555 0100", "00123",
     "2026-11-01T10:00:00Z", "'quoted", "a=b", "Visa •••• 4242"],
)
def test_harmless_text_and_phone_numbers_are_written_as_they_are(value):
    assert cell_neutralize(value) == value
    assert cell_restore(value) == value


def test_none_is_an_empty_cell():
    assert cell_neutralize(None) == ""


@given(st.text(max_size=40))
def test_every_value_reads_back_as_written_and_none_starts_a_formula(value):
    written = cell_neutralize(value)
    assert cell_restore(written) == value
    assert written[:1] not in ("=", "+", "-", "@", "\t", "\r") or (
        written.startswith("+") and written[1:].replace(" ", "").isdigit()
    )
