"""Backoffice pages of billing. Cards, billing profiles, orders and sandbox charges are
read-only: the payment services write them. Enterprise Agreements are set up here by
platform staff, as an account team would (each change audited)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.backoffice import BackofficeAuditMixin
from credits.billing import models as pay_models
from credits.common.admin import ReadOnlyAdminMixin


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
class EnterpriseAgreementAdmin(BackofficeAuditMixin, admin.ModelAdmin):
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
