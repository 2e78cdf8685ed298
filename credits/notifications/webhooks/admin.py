"""Backoffice pages of the webhooks (read-only): endpoints (the signing secret only by
its first characters), events, deliveries and the retry sweep's row."""

from __future__ import annotations

from django.contrib import admin

from accounts.backoffice import ReadOnlyAdminMixin
from credits.notifications.webhooks.models import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSweep,
)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("url", "tenant", "is_enabled", "failing_since", "created_at")
    list_filter = ("is_enabled",)
    search_fields = ("tenant__name", "url", "description")
    readonly_fields = (
        "tenant", "url", "description", "events", "secret_hint", "is_enabled",
        "failing_since", "disabled_at", "disabled_reason", "created_by", "created_at",
        "secret_rolled_at",
    )
    fields = readonly_fields


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "tenant", "type", "key")
    list_filter = ("type",)
    search_fields = ("tenant__name", "key", "type")
    readonly_fields = ("uid", "tenant", "key", "type", "data", "created_at")
    fields = readonly_fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "endpoint", "event", "status", "attempts", "response_code",
                    "next_attempt_at")
    list_filter = ("status",)
    list_select_related = ("endpoint", "event")
    search_fields = ("endpoint__tenant__name", "endpoint__url", "event__type")
    readonly_fields = (
        "endpoint", "event", "status", "attempts", "next_attempt_at", "last_attempt_at",
        "response_code", "duration_ms", "error", "created_at",
    )
    fields = readonly_fields


@admin.register(WebhookSweep)
class WebhookSweepAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "generation", "next_run_at", "last_run_at")
    search_fields = ("name",)
    readonly_fields = ("name", "generation", "next_run_at", "last_run_at")
    fields = readonly_fields
