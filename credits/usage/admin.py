"""Backoffice pages of usage: rates, call records and their daily sums, minute pools,
toll-free numbers, the usage API's tokens (revoked here), and the tenants' spend controls
and calling restrictions (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.backoffice import BackofficeAuditMixin, ReadOnlyAdminMixin
from credits.usage.choices import ApiScope
from credits.usage.models.api import ApiToken
from credits.usage.models.calls import CallDaySummary, CallRecord, MinutePool, TollFreeNumber
from credits.usage.models.controls import CallingRestrictions, SpendControls
from credits.usage.models.rates import Rate
from credits.usage.services.api_tokens import api_token_revoke


@admin.register(Rate)
class RateAdmin(BackofficeAuditMixin, admin.ModelAdmin):
    """Rates are imported with ``manage.py import_rates``; staff may correct one here.
    A rate is never deleted: calls rated with it point at its figures."""

    list_display = (
        "country", "number_type", "currency", "per_minute", "connection_fee", "effective_from",
        "imported_at",
    )
    list_filter = ("currency", "number_type", "effective_from")
    search_fields = ("country",)
    ordering = ("country", "number_type", "currency", "-effective_from")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CallRecord)
class CallRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "usage_id", "tenant", "call_type", "start_time", "duration_seconds", "upn",
        "destination_number", "capability", "pool_minutes", "charge", "currency",
    )
    list_filter = ("call_type", "capability", "source", "currency")
    search_fields = ("=usage_id", "upn", "destination_number", "caller_id", "tenant__slug")
    list_select_related = ("tenant",)
    date_hierarchy = "start_time"
    ordering = ("-start_time", "-id")
    readonly_fields = (
        "tenant", "usage_id", "call_id", "conference_id", "user", "user_location",
        "aad_object_id", "upn", "user_display_name", "caller_id", "call_type", "number_type",
        "reach", "destination_dialed", "destination_number", "rated_country",
        "rated_number_type", "start_time", "end_time", "duration_seconds", "billed_minutes",
        "pool_minutes", "pool_capability", "per_minute", "connection_fee", "charge", "currency",
        "capability", "entry", "source", "imported_at",
    )
    fields = readonly_fields


@admin.register(CallDaySummary)
class CallDaySummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The report's per-day rollup of the call records: read-only, kept by the import."""

    list_display = (
        "tenant", "day", "call_type", "capability", "pool_capability", "rated_country",
        "calls", "billed_minutes", "pool_minutes", "charge",
    )
    list_filter = ("call_type", "capability")
    search_fields = ("tenant__slug", "tenant__name", "rated_country")
    list_select_related = ("tenant",)
    date_hierarchy = "day"
    ordering = ("-day", "tenant")
    readonly_fields = (
        "tenant", "day", "call_type", "capability", "pool_capability", "rated_country",
        "calls", "billed_minutes", "pool_minutes", "charge",
    )
    fields = readonly_fields


@admin.register(MinutePool)
class MinutePoolAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("tenant", "month", "capability", "country", "minutes_used", "updated_at")
    list_filter = ("capability", "month")
    search_fields = ("tenant__slug", "tenant__name", "country")
    list_select_related = ("tenant",)
    readonly_fields = ("tenant", "month", "capability", "country", "minutes_used", "updated_at")
    fields = readonly_fields


@admin.register(TollFreeNumber)
class TollFreeNumberAdmin(BackofficeAuditMixin, admin.ModelAdmin):
    """A tenant's toll-free numbers: inbound calls to them are paid from its credits."""

    list_display = ("number", "country", "tenant", "label", "created_at")
    list_filter = ("country",)
    search_fields = ("number", "tenant__slug", "tenant__name", "label")
    list_select_related = ("tenant",)
    fields = ("tenant", "number", "label", "country")
    readonly_fields = ("country",)


@admin.action(description=_("Revoke the selected tokens"))
def revoke_tokens(modeladmin, request, queryset) -> None:
    for token in queryset.select_related("tenant"):
        api_token_revoke(token=token, acting_user=request.user)


@admin.register(ApiToken)
class ApiTokenAdmin(BackofficeAuditMixin, admin.ModelAdmin):
    """Tokens are created with ``manage.py create_api_token`` (the secret is shown there,
    once, and the scopes are chosen there). The backoffice shows which exist and what each
    may do, and revokes them; never a secret or a hash."""

    list_display = ("prefix_display", "name", "tenant", "scopes_display", "created_at",
                    "last_used_at", "revoked_at")
    list_filter = ("revoked_at", "scopes")
    search_fields = ("prefix", "name", "tenant__slug", "tenant__name")
    list_select_related = ("tenant",)
    fields = ("tenant", "name", "prefix_display", "scopes_display", "created_by", "created_at",
              "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = (revoke_tokens,)

    @admin.display(description=_("token"), ordering="prefix")
    def prefix_display(self, token: ApiToken) -> str:
        return f"{token.prefix}…"

    @admin.display(description=_("scopes"), ordering="scopes")
    def scopes_display(self, token: ApiToken) -> str:
        """Each scope's name and what it allows: "usage:read (Read call records)"."""
        labels = dict(ApiScope.choices)
        return ", ".join(
            f"{scope} ({labels.get(scope, scope)})" for scope in token.scope_list
        ) or _("none")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SpendControls)
class SpendControlsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the tenant's billing admins change them on Billing > Spend controls."""

    list_display = (
        "tenant", "alert_enabled", "multiplier", "daily_amount", "stop_at_cap", "alerted_on",
        "cap_reached_on", "cap_lifted_on", "updated_at",
    )
    list_filter = ("alert_enabled", "stop_at_cap")
    search_fields = ("tenant__name", "tenant__slug")


@admin.register(CallingRestrictions)
class CallingRestrictionsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the tenant's billing admins change them on Billing > Calling restrictions."""

    list_display = ("tenant", "block_premium", "international", "blocked_countries", "updated_at")
    list_filter = ("block_premium", "international")
    search_fields = ("tenant__name", "tenant__slug")
