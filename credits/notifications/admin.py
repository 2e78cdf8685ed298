"""Backoffice page of the notifications sent to the tenants' admins (read-only)."""

from __future__ import annotations

from django.contrib import admin

from accounts.backoffice import ReadOnlyAdminMixin
from credits.notifications.models import (
    BalanceAlert,
    BillingRecipient,
    Notification,
    NotificationOptOut,
)


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


@admin.register(BalanceAlert)
class BalanceAlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each tenant's low-balance alert; admins set it on the Communications Credits page."""

    list_display = ("tenant", "threshold", "alerted_at", "updated_at")
    search_fields = ("tenant__name",)
    readonly_fields = ("tenant", "threshold", "alerted_at", "alerted_entry_id", "updated_at")
    fields = readonly_fields


@admin.register(BillingRecipient)
class BillingRecipientAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Admins and addresses beyond the notified roles; set on Billing notifications."""

    list_display = ("tenant", "user", "email", "created_at")
    search_fields = ("tenant__name", "email", "user__username")
    readonly_fields = ("tenant", "user", "email", "created_at")
    fields = readonly_fields


@admin.register(NotificationOptOut)
class NotificationOptOutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The kinds each admin no longer receives (never a critical one)."""

    list_display = ("tenant", "user", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("tenant__name", "user__username")
    readonly_fields = ("tenant", "user", "kind", "created_at")
    fields = readonly_fields
