"""Backoffice pages of billing. Cards, billing profiles, orders and sandbox charges are
read-only: the payment services write them. Enterprise Agreements are set up here by
platform staff, as an account team would (each change audited)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.backoffice import BackofficeAuditMixin
from credits.billing import models as pay_models
from credits.billing.choices import OrderStatus
from credits.billing.services.orders import order_reconcile
from credits.common.admin import (
    ReadOnlyAdminMixin,
    ReasonForm,
    StaffOperationsMixin,
    operation_confirmed,
    operation_page,
)


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
class OrderAdmin(StaffOperationsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Orders, read-only. **Reconcile with the gateway** (superusers, after a page asking
    for the reason) settles pending orders from the gateway's record of their charge
    (``order_reconcile``, audited as ``credits.order_reconcile``), as the workers'
    recovery does by itself (docs/operations.md)."""

    list_display = (
        "number", "tenant", "kind", "status", "amount", "currency", "payment_type",
        "created_at", "completed_at", "last_reconciled_at",
    )
    list_filter = ("status", "kind", "payment_type", "currency")
    search_fields = ("=id", "idempotency_key", "po_number", "tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"
    fields = (
        "tenant", "kind", "status", "amount", "currency", "payment_type", "payment_method",
        "card_added", "enterprise_agreement", "po_number", "recharge_settings",
        "idempotency_key", "gateway_charge_id", "failure_code", "failure_reason",
        "ledger_entry", "placed_by", "created_at", "completed_at", "last_reconciled_at",
        "reconcile_note",
    )
    readonly_fields = fields
    actions = ("reconcile_with_gateway",)

    @admin.action(description=_("Reconcile with the gateway…"), permissions=["staff_operation"])
    def reconcile_with_gateway(self, request, queryset):
        orders = list(queryset.select_related("tenant", "payment_method").order_by("pk"))
        confirmed = operation_confirmed(request)
        form = ReasonForm(request.POST if confirmed else None)
        if not (confirmed and form.is_valid()):
            return operation_page(
                self, request, orders, form=form, action="reconcile_with_gateway",
                title=_("Reconcile orders with the gateway"),
                intro=_(
                    "Each pending order is checked with the payment gateway by its "
                    "idempotency key. A charge that went through completes the order (its "
                    "funds are added once); a refused one fails it with the reason; a "
                    "payment that never reached the gateway is paid now with the same key, "
                    "so it is charged at most once; when the gateway can't tell, the order "
                    "stays pending. Orders no longer pending are left as they are."
                ),
                submit_label=_("Reconcile"),
            )
        for order in orders:
            was_pending = order.is_pending
            settled = order_reconcile(
                order, acting_user=request.user, reason=form.cleaned_data["reason"]
            )
            values = {"number": settled.number, "status": settled.get_status_display(),
                      "reason": settled.failure_reason, "note": settled.reconcile_note}
            if not was_pending:
                message = _("Order %(number)s isn't pending (%(status)s): nothing to reconcile.")
                level = messages.INFO
            elif settled.status == OrderStatus.SUCCEEDED:
                message, level = _("Order %(number)s is paid: its funds were added."), (
                    messages.SUCCESS)
            elif settled.status == OrderStatus.FAILED:
                message = _("Order %(number)s failed: %(reason)s No funds were added.")
                level = messages.WARNING
            else:
                message = _("Order %(number)s stays pending: the gateway can't tell its "
                            "outcome yet (%(note)s) The recovery checks it again every "
                            "minute.")
                level = messages.WARNING
            self.message_user(request, message % values, level)
        return None


@admin.register(pay_models.SandboxCharge)
class SandboxChargeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("charge_id", "amount", "currency", "succeeded", "failure_code",
                    "idempotency_key", "created_at")
    list_filter = ("succeeded", "failure_code", "currency")
    search_fields = ("charge_id", "idempotency_key")
    fields = ("charge_id", "idempotency_key", "token", "amount", "currency", "description",
              "succeeded", "failure_code", "created_at")
    readonly_fields = fields


@admin.register(pay_models.RecurringJob)
class RecurringJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The recovery of interrupted payments: when it last ran, what it did, when it runs
    next (none while no order is pending). Written only by its schedule."""

    list_display = ("name", "last_run_at", "next_run_at", "last_summary", "generation")
    fields = ("name", "last_run_at", "next_run_at", "last_summary", "generation")
    readonly_fields = fields
