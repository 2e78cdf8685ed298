"""Writers of the PSTN usage exports (docs/file-formats.md): CSV streamed row by row, and an Excel
workbook written with XlsxWriter's constant-memory mode to a file (by a background
export, ``credits.reports.services``).

Both carry the full numbers (no masking: the exports are the admin's reconciliation data
and re-import through the usage import) and the charges at the ledger's precision. The CSV
has times in ISO 8601 UTC (``2026-11-01T10:00:00Z``) under exactly the header the import
accepts. The workbook is Excel-native: Start Time and End Time are date-times in UTC
(shown ``yyyy-mm-dd hh:mm:ss``, their headers say "(UTC)", which the import also
accepts), durations and amounts are numbers, and every other cell is text.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import xlsxwriter

from accounts.spreadsheets import cell_neutralize
from credits.reports.selectors.pstn_usage import EXPORT_HEADER

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet holds 1,048,576 rows, the header included
_NUMBER_COLUMNS = {
    EXPORT_HEADER.index("Duration Seconds"): "0",
    EXPORT_HEADER.index("Connection Fee"): "0.0000",
    EXPORT_HEADER.index("Charge"): "0.0000",
}
_TIME_COLUMNS = (EXPORT_HEADER.index("Start Time"), EXPORT_HEADER.index("End Time"))
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
# The workbook's header: the CSV's, with the time columns saying their zone (a date-time
# cell carries none).
XLSX_HEADER = tuple(
    f"{name} (UTC)" if col in _TIME_COLUMNS else name for col, name in enumerate(EXPORT_HEADER)
)


def iso_utc(moment: datetime) -> str:
    """``2026-11-01T10:00:00Z`` (microseconds kept when the record has them)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso_utc(value)
    return str(value)


class _Echo:
    """A file-like object whose ``write`` hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """The header, then one CSV line per row, produced as the rows are read.

    Text cells that a spreadsheet would run as a formula get a leading ``'``
    (``accounts.spreadsheets``); durations, fees and charges are written as numbers."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(EXPORT_HEADER)
    for row in rows:
        yield writer.writerow(
            [
                cell_text(value) if col in _NUMBER_COLUMNS else cell_neutralize(cell_text(value))
                for col, value in enumerate(row)
            ]
        )


def export_filename(selection, extension: str) -> str:
    """``pstn-usage-<tenant>-<first>-<last>.<extension>``."""
    return (
        f"pstn-usage-{selection.tenant.slug}-{selection.first.isoformat()}-"
        f"{selection.last.isoformat()}.{extension}"
    )


def xlsx_write(
    rows: Iterable[tuple],
    path: str | os.PathLike,
    *,
    sheet_name: str = "PSTN usage",
    progress: Callable[[int], object] | None = None,
    every: int = 5_000,
) -> int:
    """Write the workbook to ``path``; answer the number of rows written.

    Rows are flushed to disk as they are written (``constant_memory``), so memory stays
    flat whatever the number of rows. Text stays text (numbers such as ``+4930123456``
    and UsageIds are never turned into numbers or formulas); durations and charges are
    numbers; Start and End Time are date-times in UTC (``XLSX_TIME_FORMAT``, whole
    seconds shown, the stored value keeps any fraction). ``progress`` is called with the
    rows written so far after every ``every`` rows. On an error the partial file is left
    for the caller to remove.
    """
    workbook = xlsxwriter.Workbook(
        os.fspath(path), {"constant_memory": True, "strings_to_numbers": False,
                          "strings_to_formulas": False, "strings_to_urls": False},
    )
    written = 0
    try:
        sheet = workbook.add_worksheet(sheet_name[:31])
        bold = workbook.add_format({"bold": True})
        formats = {col: workbook.add_format({"num_format": fmt})
                   for col, fmt in _NUMBER_COLUMNS.items()}
        moment = workbook.add_format({"num_format": XLSX_TIME_FORMAT})
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, len(XLSX_HEADER) - 1, 18)
        for col in _TIME_COLUMNS:
            sheet.set_column(col, col, 20)
        for col, name in enumerate(XLSX_HEADER):
            sheet.write_string(0, col, name, bold)
        for written, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if value is None or value == "":
                    continue
                if col in formats and isinstance(value, int | Decimal):
                    sheet.write_number(written, col, value, formats[col])
                elif col in _TIME_COLUMNS and isinstance(value, datetime):
                    # Excel's date-times have no zone: the UTC wall-clock time
                    utc = value.astimezone(UTC).replace(tzinfo=None)
                    sheet.write_datetime(written, col, utc, moment)
                else:
                    sheet.write_string(written, col, cell_text(value))
            if progress is not None and written % every == 0:
                progress(written)
    finally:
        workbook.close()
    return written
