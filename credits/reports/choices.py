"""The reports' choices: what paid for a call (the PSTN usage filter), the sorts of
its table and exports, and the exports' file format and progress."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from credits.usage.choices import Capability


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel workbook")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Writing")
    SUCCEEDED = "succeeded", _("Ready")
    FAILED = "failed", _("Failed")


PAID_FREE = "free"
PAID_BY_CHOICES = [
    ("", _("Anything")),
    *Capability.choices,
    (PAID_FREE, _("Free (nothing charged, no pool)")),
]
# sort key -> the ORDER BY of the page query (and of the exports)
SORTS: dict[str, tuple[str, ...]] = {
    "start_time": ("start_time", "id"),
    "-start_time": ("-start_time", "-id"),
    "duration": ("duration_seconds", "id"),
    "-duration": ("-duration_seconds", "-id"),
    "charge": ("charge", "id"),
    "-charge": ("-charge", "-id"),
    "user": ("user_display_name", "upn", "-start_time", "-id"),  # each user's newest first
    "-user": ("-user_display_name", "-upn", "-start_time", "-id"),
}
DEFAULT_SORT = "-start_time"
