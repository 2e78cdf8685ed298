"""Backoffice pages of billing. Cards, billing profiles, orders, invoices and sandbox
charges are read-only: the payment services write them. Enterprise Agreements and
invoicing approvals (the credit line) are set up here by platform staff, as an account
team would (each change audited). Superusers mark invoices paid or void with actions
that ask for the reason (``credits.billing.services.invoices``, audited)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.backoffice import BackofficeAuditMixin, ReadOnlyAdminMixin
from credits.billing import models as pay_models
from credits.billing.choices import OrderStatus
from credits.billing.models.invoices import utc_today
from credits.billing.rules import credit_limit_check
from credits.billing.services.invoices import invoice_mark_paid, invoice_void
from credits.billing.services.orders import order_reconcile
from credits.common.admin import (
    ReasonForm,
    StaffOperationsMixin,
    operation_confirmed,
    operation_page,
)
from credits.common.formatting import format_money
from credits.exceptions import InvalidCreditLimit, InvoiceError


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
    # The card token charges the card: shown masked, never whole.
    fields = ("charge_id", "idempotency_key", "token_masked", "amount", "currency",
              "description", "succeeded", "failure_code", "created_at")
    readonly_fields = fields

    @admin.display(description=_("card token"))
    def token_masked(self, obj: pay_models.SandboxCharge) -> str:
        return f"••••{obj.token[-4:]}" if obj.token else "—"


@admin.register(pay_models.RecurringJob)
class RecurringJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The recovery of interrupted payments: when it last ran, what it did, when it runs
    next (none while no order is pending). Written only by its schedule."""

    list_display = ("name", "last_run_at", "next_run_at", "last_summary", "generation")
    fields = ("name", "last_run_at", "next_run_at", "last_summary", "generation")
    readonly_fields = fields


# -------------------------------------------------------------------- invoices, credit line


class InvoicingApprovalForm(forms.ModelForm):
    """The credit limit is typed as text and checked as the rules check it (a number
    above zero, the tenant currency's decimals, at most ``MAX_CREDIT_LIMIT``), so each
    mistake gets its own message and nothing is saved."""

    credit_limit = forms.CharField(
        label=_("Credit limit"), max_length=40,
        help_text=_("In the tenant's currency: the most it may owe on unpaid invoices."),
        error_messages={"required": _("Enter a credit limit.")},
    )

    class Meta:
        model = pay_models.InvoicingApproval
        fields = ("tenant", "credit_limit", "is_active")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit = self.initial.get("credit_limit")
        if limit is not None and not isinstance(limit, str):
            self.initial["credit_limit"] = f"{limit.normalize():f}"  # 1000, not 1000.0000

    def clean_credit_limit(self):
        tenant = self.cleaned_data.get("tenant") or getattr(self.instance, "tenant", None)
        if tenant is None:
            return None  # the tenant's own error says what to do first
        try:
            return credit_limit_check(self.cleaned_data.get("credit_limit"),
                                      currency=tenant.currency)
        except InvalidCreditLimit as error:
            raise forms.ValidationError(error.message) from None


@admin.register(pay_models.InvoicingApproval)
class InvoicingApprovalAdmin(BackofficeAuditMixin, admin.ModelAdmin):
    """Who may pay by invoice, and up to what credit limit. Superusers approve a tenant
    (Add), change its limit, and revoke the approval by clearing "invoicing allowed"
    (or approve it again by ticking it): who and when are kept, and each change is
    audited. Approvals are never deleted."""

    form = InvoicingApprovalForm
    list_display = ("tenant", "limit_display", "is_active", "approved_by", "approved_at",
                    "revoked_at")
    list_filter = ("is_active",)
    search_fields = ("tenant__name", "tenant__slug")
    list_select_related = ("tenant", "approved_by")
    autocomplete_fields = ("tenant",)
    readonly_fields = ("approved_by", "approved_at", "revoked_by", "revoked_at")

    def get_readonly_fields(self, request, obj=None):
        # The tenant is chosen once: an approval belongs to one organization.
        return (("tenant",) if obj is not None else ()) + self.readonly_fields

    def has_add_permission(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_change_permission(self, request, obj=None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("credit limit"), ordering="credit_limit")
    def limit_display(self, approval) -> str:
        return format_money(approval.credit_limit, approval.tenant.currency)

    def save_model(self, request, obj, form, change) -> None:
        now = timezone.now()
        was_active = form.initial.get("is_active", False) if change else False
        if obj.is_active and not was_active:
            obj.approved_by, obj.approved_at = request.user, now
            obj.revoked_by, obj.revoked_at = None, None
        elif not obj.is_active and (was_active or not change):
            obj.revoked_by, obj.revoked_at = request.user, now
        super().save_model(request, obj, form, change)


class InvoiceStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (
            ("open", _("Open, not yet due")),
            ("overdue", _("Overdue")),
            ("paid", _("Paid")),
            ("void", _("Void")),
        )

    def queryset(self, request, queryset):
        match self.value():
            case "open":
                return queryset.open().filter(due_on__gte=utc_today())
            case "overdue":
                return queryset.overdue()
            case "paid" | "void":
                return queryset.filter(status=self.value())
        return queryset


def _close_invoices(modeladmin, request, queryset, *, action: str, service, title, intro,
                    submit_label, done):
    invoices = list(queryset.select_related("tenant", "lot").order_by("pk"))
    confirmed = operation_confirmed(request)
    form = ReasonForm(request.POST if confirmed else None)
    if confirmed and form.is_valid():
        for invoice in invoices:
            try:
                closed = service(invoice=invoice, acting_user=request.user,
                                 reason=form.cleaned_data["reason"])
            except InvoiceError as error:
                modeladmin.message_user(request, error.message, messages.WARNING)
            else:
                modeladmin.message_user(request, done(closed), messages.SUCCESS)
        return None
    details = []
    if len(invoices) == 1:
        invoice = invoices[0]
        details = [
            (_("Amount"), format_money(invoice.amount, invoice.currency)),
            (_("Status"), invoice.status_label),
            (_("Due on"), f"{invoice.due_on:%Y-%m-%d}"),
            (_("Unused funds of its lot"),
             format_money(invoice.lot.remaining, invoice.currency, exact=True)),
        ]
    return operation_page(
        modeladmin, request, invoices, form=form, action=action, title=title, intro=intro,
        submit_label=submit_label, details=details,
    )


@admin.action(description=_("Mark the selected invoices paid…"), permissions=["staff_operation"])
def mark_paid(modeladmin, request, queryset):
    return _close_invoices(
        modeladmin, request, queryset, action="mark_paid", service=invoice_mark_paid,
        title=_("Mark invoices paid"),
        intro=_(
            "The payment of each open invoice was received: it is marked paid and no longer "
            "counts against the organization's credit limit. A paid or void invoice never "
            "changes again."
        ),
        submit_label=_("Mark paid"),
        done=lambda invoice: _("Invoice %(number)s is marked paid.") % {
            "number": invoice.number
        },
    )


@admin.action(description=_("Void the selected invoices…"), permissions=["staff_operation"])
def void(modeladmin, request, queryset):
    return _close_invoices(
        modeladmin, request, queryset, action="void", service=invoice_void,
        title=_("Void invoices"),
        intro=_(
            "Each open invoice is cancelled: nothing is owed any more, and what is left of "
            "the funds it paid for is taken back from the balance (an adjustment; funds "
            "already spent stay spent). A paid or void invoice never changes again."
        ),
        submit_label=_("Void"),
        done=lambda invoice: (
            _("Invoice %(number)s is void; %(amount)s of unused funds were taken back.") % {
                "number": invoice.number,
                "amount": format_money(
                    -invoice.void_entry.amount if invoice.void_entry else 0, invoice.currency
                ),
            }
        ),
    )


@admin.register(pay_models.Invoice)
class InvoiceAdmin(StaffOperationsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Invoices, read-only; **Mark paid** and **Void** (superusers, after a page asking
    for the reason) close open ones (docs/operations.md)."""

    list_display = ("number", "tenant", "issued_at", "due_on", "amount", "currency",
                    "state_display", "closed_by")
    list_filter = (InvoiceStateFilter, "currency")
    search_fields = ("number", "=order__id", "tenant__name", "tenant__slug")
    list_select_related = ("tenant", "closed_by")
    date_hierarchy = "issued_at"
    fields = ("number", "tenant", "order", "lot", "amount", "currency", "issued_at", "due_on",
              "status", "paid_at", "voided_at", "closed_by", "close_reason", "void_entry")
    readonly_fields = fields
    actions = (mark_paid, void)

    @admin.display(description=_("status"), ordering="status")
    def state_display(self, invoice) -> str:
        return invoice.status_label


@admin.register(pay_models.InvoiceSequence)
class InvoiceSequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The last invoice number of each year; written only when an invoice is issued."""

    list_display = ("year", "last")
    fields = ("year", "last")
    readonly_fields = fields
