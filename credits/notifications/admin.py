"""Backoffice page of the notifications sent to the tenants' admins (read-only)."""

from __future__ import annotations

from django.contrib import admin

from credits.common.admin import ReadOnlyAdminMixin
from credits.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "tenant", "kind", "subject", "status")
    list_filter = ("kind", "status")
    search_fields = ("tenant__name", "subject", "dedupe_key")
    readonly_fields = (
        "tenant", "kind", "dedupe_key", "subject", "params", "context", "recipients",
        "status", "error", "created_at", "sent_at",
    )
    fields = readonly_fields
