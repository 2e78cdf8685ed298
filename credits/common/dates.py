"""Calendar arithmetic for fund lots: funds expire 12 calendar months after purchase."""

from __future__ import annotations

import calendar
from datetime import datetime

LOT_LIFETIME_MONTHS = 12


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
    """When the funds of a lot bought at ``purchased_at`` expire (DESIGN §1: 12 months)."""
    if purchased_at.tzinfo is None:
        raise ValueError("purchased_at must be an aware datetime.")
    return months_add(purchased_at, LOT_LIFETIME_MONTHS)
