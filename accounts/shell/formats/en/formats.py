"""English: "Nov 30, 2026" and "Nov 30, 2026, 14:05 EST" (24-hour clock, the zone named)."""

DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y, H:i T"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "M j"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
