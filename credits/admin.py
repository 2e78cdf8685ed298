"""Backoffice views of the credits ledger: everything here is read-only.

Money moves only through ``credits.ledger.services.postings``; the admin shows accounts, lots and
entries but cannot add, change or delete any of them (a superuser gets 403).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.billing import models as pay_models
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry, LotMovement
from credits.ledger.models.lots import FundLot
from credits.notifications.models import Notification
from credits.reports.models import ReportExport
from credits.usage.models.api import ApiToken
from credits.usage.models.calls import CallDaySummary, CallRecord, MinutePool, TollFreeNumber
from credits.usage.models.rates import Rate
from credits.usage.services.api_tokens import api_token_revoke


class ReadOnlyAdminMixin:
    """View permission only: no add, no change, no delete, no bulk delete action."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


class FundLotInline(ReadOnlyInline):
    model = FundLot
    fields = ("source", "amount", "remaining", "purchased_at", "expires_at")
    readonly_fields = fields
    ordering = ("-expires_at",)


class LotMovementInline(ReadOnlyInline):
    model = LotMovement
    fk_name = "entry"
    fields = ("lot", "amount", "remaining_after")
    readonly_fields = fields
    show_change_link = False


@admin.register(CreditAccount)
class CreditAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "tenant", "currency", "balance", "deficit", "status", "auto_recharge_enabled",
        "recharge_amount", "recharge_trigger", "last_posted_at",
    )
    list_filter = ("status", "currency", "auto_recharge_enabled")
    search_fields = ("tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    readonly_fields = (
        "tenant", "currency", "balance", "deficit", "status", "auto_recharge_enabled",
        "recharge_amount", "recharge_trigger", "monthly_recharge_limit", "last_posted_at",
        "created_at",
    )
    fields = readonly_fields
    inlines = (FundLotInline,)


class LotStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (
            ("active", _("Funds left, unexpired")),
            ("expiring", _("Expiring within 30 days")),
            ("due", _("Expired, not yet forfeited")),
            ("expired", _("Expired")),
            ("empty", _("Used up")),
        )

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "active":
                return queryset.active(now)
            case "expiring":
                return queryset.expiring(timedelta(days=30), now)
            case "due":
                return queryset.due_for_expiry(now)
            case "expired":
                return queryset.expired(now)
            case "empty":
                return queryset.filter(remaining=0)
        return queryset


@admin.register(FundLot)
class FundLotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id", "account", "source", "amount", "remaining", "purchased_at", "expires_at",
        "is_expired_now",
    )
    list_filter = (LotStateFilter, "source", "account__currency")
    search_fields = ("=id", "account__tenant__name", "account__tenant__slug")
    list_select_related = ("account__tenant",)
    date_hierarchy = "purchased_at"
    ordering = ("-purchased_at", "-id")
    readonly_fields = ("account", "source", "amount", "remaining", "purchased_at", "expires_at")
    fields = readonly_fields

    @admin.display(boolean=True, description=_("expired"))
    def is_expired_now(self, lot: FundLot) -> bool:
        return lot.is_expired()


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id", "created_at", "account", "kind", "amount", "balance_after", "lot",
        "reference_display", "acting_user", "idempotency_key",
    )
    list_filter = ("kind", "account__currency", "created_at")
    search_fields = (
        "=id", "idempotency_key", "reference_id", "memo", "account__tenant__name",
        "account__tenant__slug",
    )
    list_select_related = ("account__tenant", "lot__account", "acting_user")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    readonly_fields = (
        "account", "kind", "amount", "balance_after", "lot", "reverses", "reversed_by_link",
        "reference_type", "reference_id", "acting_user", "idempotency_key", "memo",
        "created_at", "recorded_at",
    )
    fields = readonly_fields
    inlines = (LotMovementInline,)

    @admin.display(description=_("reference"), ordering="reference_id")
    def reference_display(self, entry: LedgerEntry) -> str:
        return entry.reference

    @admin.display(description=_("reversed by"))
    def reversed_by_link(self, entry: LedgerEntry) -> str:
        reversal = LedgerEntry.objects.filter(reverses=entry).first()
        return str(reversal) if reversal else "—"


@admin.register(LotMovement)
class LotMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "entry", "lot", "amount", "remaining_after")
    list_filter = ("entry__kind", "lot__source")
    search_fields = (
        "=entry__id", "=lot__id", "entry__account__tenant__name", "entry__account__tenant__slug",
    )
    list_select_related = ("entry__account", "lot__account")
    ordering = ("-id",)
    readonly_fields = ("entry", "lot", "amount", "remaining_after")
    fields = readonly_fields


# ------------------------------------------------------------ rates, calls, API tokens


@admin.register(Rate)
class RateAdmin(admin.ModelAdmin):
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
class TollFreeNumberAdmin(admin.ModelAdmin):
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
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with ``manage.py create_api_token`` (the secret is shown there,
    once). The backoffice shows which exist and revokes them; never a secret or a hash."""

    list_display = ("prefix_display", "name", "tenant", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "tenant__slug", "tenant__name")
    list_select_related = ("tenant",)
    fields = ("tenant", "name", "prefix_display", "created_by", "created_at", "last_used_at",
              "revoked_at")
    readonly_fields = fields
    actions = (revoke_tokens,)

    @admin.display(description=_("token"), ordering="prefix")
    def prefix_display(self, token: ApiToken) -> str:
        return f"{token.prefix}…"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Payments ---------------------------------------------------------------------------
# Cards, billing profiles, orders and sandbox charges are read-only: they are written by
# the payment services. Enterprise Agreements are set up here by platform staff, as an
# account team would.


@admin.register(pay_models.PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id", "tenant", "brand", "last4", "expiry", "holder", "is_default", "created_at",
        "removed_at",
    )
    list_filter = ("brand", "is_default", ("removed_at", admin.EmptyFieldListFilter))
    search_fields = ("=last4", "holder", "tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    # The gateway token is left out on purpose: it charges the card.
    fields = (
        "tenant", "holder", "brand", "last4", "exp_month", "exp_year", "is_default", "added_by",
        "created_at", "removed_at",
    )
    readonly_fields = fields


@admin.register(pay_models.EnterpriseAgreement)
class EnterpriseAgreementAdmin(admin.ModelAdmin):
    list_display = ("number", "tenant", "name", "billing_country", "region_label", "is_active")
    list_filter = ("is_active", "billing_country")
    search_fields = ("number", "name", "tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    autocomplete_fields = ("tenant",)
    readonly_fields = ("created_at",)

    @admin.display(description=_("region"))
    def region_label(self, agreement) -> str:
        region = agreement.region
        return str(region.label) if region is not None else "—"


@admin.register(pay_models.BillingProfile)
class BillingProfileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("account", "payment_type", "card", "enterprise_agreement", "po_number",
                    "updated_at")
    list_filter = ("payment_type",)
    search_fields = ("account__tenant__name", "account__tenant__slug")
    list_select_related = ("account__tenant", "card", "enterprise_agreement")
    fields = ("account", "payment_type", "card", "enterprise_agreement", "po_number",
              "updated_at")
    readonly_fields = fields


@admin.register(pay_models.Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "number", "tenant", "kind", "status", "amount", "currency", "payment_type",
        "created_at", "completed_at",
    )
    list_filter = ("status", "kind", "payment_type", "currency")
    search_fields = ("=id", "idempotency_key", "po_number", "tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"
    fields = (
        "tenant", "kind", "status", "amount", "currency", "payment_type", "payment_method",
        "card_added", "enterprise_agreement", "po_number", "recharge_settings",
        "idempotency_key", "gateway_charge_id", "failure_code", "failure_reason",
        "ledger_entry", "placed_by", "created_at", "completed_at",
    )
    readonly_fields = fields


@admin.register(pay_models.SandboxCharge)
class SandboxChargeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("charge_id", "amount", "currency", "succeeded", "failure_code",
                    "idempotency_key", "created_at")
    list_filter = ("succeeded", "failure_code", "currency")
    search_fields = ("charge_id", "idempotency_key")
    fields = ("charge_id", "idempotency_key", "token", "amount", "currency", "description",
              "succeeded", "failure_code", "created_at")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "tenant", "kind", "subject", "status")
    list_filter = ("kind", "status")
    search_fields = ("tenant__name", "subject", "dedupe_key")
    readonly_fields = (
        "tenant", "kind", "dedupe_key", "subject", "context", "recipients", "status", "error",
        "created_at", "sent_at",
    )
    fields = readonly_fields


@admin.register(ReportExport)
class ReportExportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "tenant", "requested_by", "filename", "status", "rows_done",
                    "rows_total")
    list_filter = ("status", "format")
    search_fields = ("tenant__name", "filename")
    list_select_related = ("tenant", "requested_by")
    readonly_fields = (
        "tenant", "requested_by", "format", "query", "status", "rows_total", "rows_done",
        "file_path", "filename", "error", "created_at", "finished_at",
    )
    fields = readonly_fields
