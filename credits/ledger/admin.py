"""Backoffice pages of the ledger: accounts, lots, entries and lot movements, all
read-only. Money moves only through ``credits.ledger.services``; a superuser gets 403
for any add, change or delete."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.common.admin import ReadOnlyAdminMixin, ReadOnlyInline
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry, LotMovement
from credits.ledger.models.lots import FundLot


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
