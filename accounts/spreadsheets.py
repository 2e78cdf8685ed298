"""Text cells a spreadsheet will not run as a formula (CSV injection; docs/file-formats.md).

Excel, LibreOffice and Google Sheets treat a cell that begins with ``=``, ``+``, ``-`` or
``@`` (and, after a tab or a carriage return, the same) as a formula, so a display name
such as ``=HYPERLINK("http://evil.example","Click")`` typed by anyone would run in the
admin's spreadsheet. Every CSV the console writes passes its *text* columns (names,
usernames, departments, call and conference ids, caller ids and numbers, descriptions)
through ``cell_neutralize``, which prefixes such a cell with a single quote ``'``, as
OWASP recommends. Numbers and amounts are written as numbers and never passed here (a
refund of ``-1.50`` stays ``-1.50``).

One exception, so that phone numbers stay phone numbers: a ``+`` followed only by digits
and spaces (``+14255550100``, ``+1 425 555 0100``) is written as it is. A spreadsheet can
at worst read it as a number; it holds no function, reference or command.

Files the console reads back (the usage import) undo it with ``cell_restore``: a leading
``'`` is removed when what follows it would have been neutralized, so an export imports
back with the values it was written from (a value that itself began with ``'=`` was
written ``''=`` and reads back as ``'=``).
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_PHONE = re.compile(r"\+[0-9 ]+")


def needs_neutralizing(value: str) -> bool:
    """Whether a spreadsheet could read ``value`` as a formula."""
    return value[:1] in FORMULA_TRIGGERS and not _PHONE.fullmatch(value)


def cell_neutralize(value: object) -> str:
    """``value`` as a CSV text cell: ``'=1+2`` for ``=1+2``, anything harmless unchanged.

    A value that already begins with quotes before a formula (``'=1+2``) gets one more,
    so ``cell_restore`` gives every value back exactly."""
    text = "" if value is None else str(value)
    return QUOTE + text if needs_neutralizing(text.lstrip(QUOTE)) else text


def cell_restore(value: str) -> str:
    """The value ``cell_neutralize`` was given: the added quote removed, nothing else."""
    if value[:1] == QUOTE and needs_neutralizing(value[1:].lstrip(QUOTE)):
        return value[1:]
    return value
