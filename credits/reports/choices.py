"""The report exports' choices: file format and progress."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel workbook")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Writing")
    SUCCEEDED = "succeeded", _("Ready")
    FAILED = "failed", _("Failed")
