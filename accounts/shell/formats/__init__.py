"""The console's date formats, one per language (README, "Languages and time zones"):
a date and a date-time with its time zone named. ``FORMAT_MODULE_PATH`` points here, so
``{{ value|date:"DATE_FORMAT" }}`` and ``{{ value|date:"DATETIME_FORMAT" }}`` read them."""
