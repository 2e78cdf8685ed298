"""Report exports written in the background (Reports > PSTN usage > Export to Excel).

A row records what was asked (the report's filters as a query string), how far the
worker got (``rows_done`` of ``rows_total``) and, once claimed, the name of its file in
the ``exports`` storage (``credits.reports.storage``: a private directory by default, or
storage every machine reaches; never served directly, the download view checks the tenant
first). The daily jobs delete exports, files included, after ``EXPORT_KEEP``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.reports.choices import (
    ExportFormat,
    ExportStatus,
)
from credits.reports.storage import export_storage

EXPORT_KEEP = timedelta(hours=24)


class ReportExportQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> ReportExportQuerySet:
        return self.filter(tenant=tenant)

    def requested_by(self, user) -> ReportExportQuerySet:
        return self.filter(requested_by=user)

    def expired(self, at) -> ReportExportQuerySet:
        """Exports created more than ``EXPORT_KEEP`` before ``at``."""
        return self.filter(created_at__lt=at - EXPORT_KEEP)


class ReportExport(models.Model):
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="report_exports",
        verbose_name=_("tenant"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("requested by"),
    )
    format = models.CharField(
        _("format"), max_length=10, choices=ExportFormat.choices, default=ExportFormat.XLSX
    )
    query = models.TextField(
        _("filters"), blank=True,
        help_text=_("The report's filters as a query string, with the date range fixed."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    rows_total = models.PositiveIntegerField(_("rows to write"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(
        _("file"), max_length=255, blank=True, storage=export_storage,
        help_text=_("Its name in the private export storage."),
    )
    filename = models.CharField(_("download name"), max_length=200)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ReportExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")
        indexes = [
            models.Index(fields=["tenant", "requested_by", "-created_at"],
                         name="credits_export_user_idx"),
            models.Index(fields=["created_at"], name="credits_export_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} · {self.filename} ({self.status})"

    @property
    def in_progress(self) -> bool:
        return self.status in {ExportStatus.PENDING, ExportStatus.RUNNING}

    @property
    def succeeded(self) -> bool:
        return self.status == ExportStatus.SUCCEEDED

    @property
    def failed(self) -> bool:
        return self.status == ExportStatus.FAILED

    @property
    def percent(self) -> int:
        """Whole percent written (100 once it succeeded, even with no rows)."""
        if self.succeeded:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
