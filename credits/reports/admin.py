"""Backoffice page of the report exports (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.backoffice import ReadOnlyAdminMixin
from credits.reports.models import ReportExport


@admin.register(ReportExport)
class ReportExportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "tenant", "requested_by", "filename", "status", "rows_done",
                    "rows_total")
    list_filter = ("status", "format")
    search_fields = ("tenant__name", "filename")
    list_select_related = ("tenant", "requested_by")
    readonly_fields = (
        "tenant", "requested_by", "format", "query", "status", "rows_total", "rows_done",
        "file_name", "filename", "error", "created_at", "finished_at",
    )
    fields = readonly_fields

    @admin.display(description=_("file"))
    def file_name(self, export: ReportExport) -> str:
        """The name in the export storage: the file itself has no address to link to."""
        return export.file.name or "-"
