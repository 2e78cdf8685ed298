"""Calendar arithmetic, defined once.

- Fund lots expire 12 calendar months after purchase (``lot_expires_at``).
- Minute pools, the monthly recharge limit, monthly statements and the minute pools report
  all count **UTC calendar months**: ``month_of`` names the month a moment falls in (its
  first day), ``month_start`` is that month's first instant, ``month_bounds`` the
  half-open range ``start <= t < end``, and ``month_parse`` reads ``YYYY-MM``.
- ``UTCDate`` is the UTC calendar day of a datetime column, in SQL (the per-day rollup
  and the report's daily series group by it).
"""

from __future__ import annotations

import calendar
import re
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time

from django.db.models.functions import TruncDate

LOT_LIFETIME_MONTHS = 12
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def months_add(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months later (or earlier, if negative).

    A day the target month does not have becomes its last day: 29 February 2024 plus 12
    months is 28 February 2025; 31 March plus 1 month is 30 April. Time and time zone are
    kept as they are.
    """
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def lot_expires_at(purchased_at: datetime) -> datetime:
    """When the funds of a lot bought at ``purchased_at`` expire: 12 months later."""
    if purchased_at.tzinfo is None:
        raise ValueError("purchased_at must be an aware datetime.")
    return months_add(purchased_at, LOT_LIFETIME_MONTHS)


# ------------------------------------------------------------------ UTC calendar months


def month_of(moment: datetime | date) -> date:
    """The first day of the UTC calendar month ``moment`` falls in (a date is taken as
    it is)."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC).date()
    return moment.replace(day=1)


def month_add(month: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``month``'s."""
    index = month.year * 12 + (month.month - 1) + months
    year, number = divmod(index, 12)
    return date(year, number + 1, 1)


def month_start(moment: datetime | date) -> datetime:
    """Midnight UTC on the first day of ``moment``'s UTC calendar month."""
    return datetime.combine(month_of(moment), time.min, tzinfo=UTC)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """``start <= t < end`` of the calendar month (UTC) that ``month`` falls in."""
    return month_start(month), month_start(month_add(month_of(month), 1))


def month_parse(text: object) -> date | None:
    """``"2025-01"`` -> 1 January 2025; None for anything else (``2025-13``, ``25-1``)."""
    match = _MONTH.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and MINYEAR <= year <= MAXYEAR - 1):
        return None
    return date(year, month, 1)


def recent_months(today: date, count: int = 12) -> list[date]:
    """The first day of ``today``'s month and the ``count - 1`` before it, newest first."""
    month = month_of(today)
    return [month_add(month, -index) for index in range(count)]


class UTCDate(TruncDate):
    """The UTC calendar day of a datetime. On SQLite, which stores datetimes as UTC text,
    its built-in ``date()``: Django's ``TruncDate`` calls back into Python for each row
    there, which a GROUP BY over thousands of calls cannot afford."""

    def __init__(self, expression, **extra) -> None:
        super().__init__(expression, tzinfo=UTC, **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"date({sql})", params
