"""Read a users CSV into rows, or say which lines are wrong (no database access here).

The file is UTF-8 (a byte-order mark, as Excel writes, is fine), comma-separated, with
a header naming the columns in any order::

    display name,username,usage location,department,job title

``display name`` and ``username`` are required; the other columns may be left out.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from accounts.countries import country_codes
from accounts.exceptions import RowError, UsersImportError

MAX_IMPORT_ROWS = 5_000
MAX_IMPORT_BYTES = 2 * 1024 * 1024
# Enough to fix a file in one go without drowning the page.
MAX_REPORTED_ERRORS = 50

COLUMNS = ("display name", "username", "usage location", "department", "job title")
REQUIRED_COLUMNS = ("display name", "username")
_ALIASES = {
    "displayname": "display name",
    "display_name": "display name",
    "name": "display name",
    "user name": "username",
    "user_name": "username",
    "user principal name": "username",
    "userprincipalname": "username",
    "upn": "username",
    "usagelocation": "usage location",
    "usage_location": "usage location",
    "jobtitle": "job title",
    "job_title": "job title",
}
_MAX_LENGTHS = {"display name": 200, "username": 254, "department": 100, "job title": 100}


@dataclass(frozen=True)
class ImportRow:
    line: int
    display_name: str
    username: str
    usage_location: str
    department: str
    job_title: str


class _Errors:
    def __init__(self) -> None:
        self.items: list[RowError] = []
        self.total = 0

    def add(self, line: int, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append(RowError(line, message))

    def raise_if_any(self) -> None:
        if self.total:
            raise UsersImportError(self.items, total_errors=self.total)


def _refuse(message: str, line: int = 0):
    raise UsersImportError([RowError(line, message)])


def _decode(content: bytes) -> str:
    if len(content) > MAX_IMPORT_BYTES:
        _refuse(
            _("The file is larger than %(size)d MB. Split it into smaller files.")
            % {"size": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    if not content.strip():
        _refuse(_("The file is empty."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse(
            _(
                "The file isn't UTF-8 text. In Excel, save it as “CSV UTF-8 (comma "
                "delimited)” and try again."
            )
        )
    if "\x00" in text:
        _refuse(_("The file isn't a text CSV file (it contains binary data)."))
    return text


def _header(cells: list[str]) -> list[str]:
    names = []
    for cell in cells:
        name = " ".join(cell.strip().lower().split())
        names.append(_ALIASES.get(name, name))
    if len(names) == 1 and ";" in cells[0]:
        _refuse(_("Separate the columns with commas, not semicolons."), line=1)
    expected = ", ".join(COLUMNS)
    unknown = [cells[i].strip() for i, n in enumerate(names) if n not in COLUMNS]
    if unknown:
        _refuse(
            _("Unknown column “%(column)s”. The header must name these columns: %(expected)s.")
            % {"column": unknown[0], "expected": expected},
            line=1,
        )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        _refuse(_("The column “%(column)s” appears twice.") % {"column": duplicated[0]}, line=1)
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        _refuse(
            _(
                "The header has no “%(column)s” column. The header must name these columns: "
                "%(expected)s."
            )
            % {"column": missing[0], "expected": expected},
            line=1,
        )
    return names


def _clean_row(line: int, values: dict[str, str], errors: _Errors) -> ImportRow | None:
    ok = True
    for column, limit in _MAX_LENGTHS.items():
        if len(values.get(column, "")) > limit:
            errors.add(
                line,
                _("%(column)s is longer than %(limit)d characters.")
                % {"column": column.capitalize(), "limit": limit},
            )
            ok = False
    display_name = values.get("display name", "")
    if not display_name:
        errors.add(line, _("Display name is empty."))
        ok = False
    username = values.get("username", "").lower()
    if not username:
        errors.add(line, _("Username is empty."))
        ok = False
    elif len(username) <= _MAX_LENGTHS["username"]:
        try:
            EmailValidator()(username)
        except ValidationError:
            errors.add(
                line,
                _("“%(username)s” isn't a valid username; use the form name@domain.")
                % {"username": username},
            )
            ok = False
    location = values.get("usage location", "").upper()
    if location and location not in country_codes():
        errors.add(
            line,
            _("“%(location)s” isn't a usage location: use a two-letter country code such as US.")
            % {"location": values.get("usage location", "")},
        )
        ok = False
    if not ok:
        return None
    return ImportRow(
        line=line,
        display_name=display_name,
        username=username,
        usage_location=location,
        department=values.get("department", ""),
        job_title=values.get("job title", ""),
    )


def parse_users_csv(content: bytes) -> list[ImportRow]:
    """The file's users, or ``UsersImportError`` naming every bad line (up to a limit)."""
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors = _Errors()
    rows: list[ImportRow] = []
    first_line: dict[str, int] = {}
    header: list[str] | None = None
    line = 0
    data_rows = 0
    try:
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(c.strip() for c in cells):
                continue  # blank lines are skipped
            if header is None:
                header = _header(cells)
                continue
            data_rows += 1
            if data_rows > MAX_IMPORT_ROWS:
                _refuse(
                    _("The file has more than %(limit)s users. Split it into smaller files.")
                    % {"limit": f"{MAX_IMPORT_ROWS:,}"}
                )
            if len(cells) != len(header):
                errors.add(
                    line,
                    _("The line has %(found)d values; the header has %(expected)d.")
                    % {"found": len(cells), "expected": len(header)},
                )
                continue
            row = _clean_row(
                line, {n: c.strip() for n, c in zip(header, cells, strict=True)}, errors
            )
            if row is None:
                continue
            if row.username in first_line:
                errors.add(
                    line,
                    _("The username %(username)s is also on line %(other)d.")
                    % {"username": row.username, "other": first_line[row.username]},
                )
                continue
            first_line[row.username] = line
            rows.append(row)
    except csv.Error as exc:
        errors.add(line, _("The line isn't valid CSV (%(problem)s).") % {"problem": exc})
    errors.raise_if_any()
    if header is None:
        _refuse(_("The file is empty."))
    if not rows:
        _refuse(_("The file has a header but no users."))
    return rows
