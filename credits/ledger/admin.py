"""Backoffice pages of the ledger: accounts, lots, entries and lot movements, all
read-only. Money moves only through ``credits.ledger.services``; a superuser gets 403
for any add, change or delete.

Staff operations are admin actions that call the ledger's services, each after an
intermediate page asking for the reason (and the amount): on credit accounts, issue a
credit (goodwill funds), post a debit correction, suspend and resume; on entries,
reverse them. The services audit each one.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.backoffice import ReadOnlyAdminMixin
from credits.common.admin import (
    AmountReasonForm,
    ReadOnlyInline,
    ReasonForm,
    StaffOperationsMixin,
    operation_confirmed,
    operation_page,
)
from credits.common.formatting import format_money
from credits.common.jobs import enqueue_after_commit
from credits.common.money import ZERO
from credits.exceptions import LedgerError
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry, LotMovement
from credits.ledger.models.lots import FundLot
from credits.ledger.models.rollup import LedgerDaySummary
from credits.ledger.selectors import balance_at
from credits.ledger.services import account_resume, account_suspend, entry_adjust, entry_reverse


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


# ------------------------------------------------------------------ staff operations


def _one_account(modeladmin, request, queryset) -> CreditAccount | None:
    accounts = list(queryset.select_related("tenant")[:2])
    if len(accounts) != 1:
        modeladmin.message_user(
            request, _("Select exactly one credit account for this operation."),
            messages.WARNING,
        )
        return None
    return accounts[0]


def _money_operation(
    modeladmin, request, queryset, *, action: str, sign: int, title: str, intro: str,
    submit_label: str,
):
    """Issue a credit (``sign`` +1) or a debit correction (-1) through ``entry_adjust``."""
    account = _one_account(modeladmin, request, queryset)
    if account is None:
        return None
    confirmed = operation_confirmed(request)
    form = AmountReasonForm(request.POST if confirmed else None, currency=account.currency)
    if confirmed and form.is_valid():
        amount = form.cleaned_data["amount"]
        key = f"backoffice:{action}:{form.cleaned_data['token']}"
        replayed = LedgerEntry.objects.filter(account=account, idempotency_key=key).first()
        if sign > 0 and account.is_closed and replayed is None:
            form.add_error(
                None,
                _("The credit account of %(tenant)s is closed: it takes no new funds.")
                % {"tenant": account.tenant},
            )
        else:
            try:
                entry = entry_adjust(
                    account=account, amount=amount * sign, currency=account.currency,
                    memo=form.cleaned_data["reason"], idempotency_key=key,
                    acting_user=request.user,
                )
            except LedgerError as error:
                form.add_error("amount" if sign < 0 else None, error.message)
            else:
                # The low-balance alert's check (credits.notifications.alerts).
                enqueue_after_commit("balance_alert_check_task", account_id=account.pk)
                _report_adjustment(modeladmin, request, account, entry, replayed is not None)
                return None
    usable = max(balance_at(account=account), ZERO)
    return operation_page(
        modeladmin, request, [account], form=form, action=action, title=title, intro=intro,
        submit_label=submit_label,
        details=[
            (_("Balance"), format_money(account.balance, account.currency, exact=True)),
            (_("Usable funds"), format_money(usable, account.currency, exact=True)),
            (_("Status"), account.get_status_display()),
        ],
    )


def _report_adjustment(modeladmin, request, account, entry: LedgerEntry, replayed: bool) -> None:
    amount = format_money(abs(entry.amount), account.currency)
    if replayed:
        modeladmin.message_user(
            request,
            _("Entry #%(entry)s was already posted from this page: nothing was posted again.")
            % {"entry": entry.pk},
            messages.WARNING,
        )
    elif entry.amount > 0:
        modeladmin.message_user(
            request,
            _(
                "Issued a credit of %(amount)s to %(tenant)s (entry #%(entry)s): a new lot "
                "expiring on %(expires)s. The balance is %(balance)s."
            )
            % {
                "amount": amount, "tenant": account.tenant, "entry": entry.pk,
                "expires": f"{entry.lot.expires_at:%Y-%m-%d}",
                "balance": format_money(account.balance, account.currency, exact=True),
            },
            messages.SUCCESS,
        )
    else:
        modeladmin.message_user(
            request,
            _(
                "Took %(amount)s from %(tenant)s (entry #%(entry)s). The balance is "
                "%(balance)s."
            )
            % {
                "amount": amount, "tenant": account.tenant, "entry": entry.pk,
                "balance": format_money(account.balance, account.currency, exact=True),
            },
            messages.SUCCESS,
        )


@admin.action(description=_("Issue a credit (goodwill funds)…"), permissions=["staff_operation"])
def issue_credit(modeladmin, request, queryset):
    return _money_operation(
        modeladmin, request, queryset, action="issue_credit", sign=1,
        title=_("Issue a credit"),
        intro=_(
            "Goodwill funds: a new lot of the amount, expiring 12 months from now, posted as "
            "an adjustment. A deficit is covered first."
        ),
        submit_label=_("Issue the credit"),
    )


@admin.action(description=_("Post a debit correction…"), permissions=["staff_operation"])
def debit_correction(modeladmin, request, queryset):
    return _money_operation(
        modeladmin, request, queryset, action="debit_correction", sign=-1,
        title=_("Post a debit correction"),
        intro=_(
            "Takes the amount from the funds expiring first, posted as an adjustment. It "
            "can't take more than the usable funds."
        ),
        submit_label=_("Post the correction"),
    )


def _status_operation(
    modeladmin, request, queryset, *, action: str, service, title: str, intro: str,
    submit_label: str, done: str, unchanged: str,
):
    accounts = list(queryset.select_related("tenant"))
    confirmed = operation_confirmed(request)
    form = ReasonForm(request.POST if confirmed else None)
    if confirmed and form.is_valid():
        for account in accounts:
            try:
                changed = service(
                    account=account, reason=form.cleaned_data["reason"], acting_user=request.user
                )
            except LedgerError as error:
                modeladmin.message_user(request, error.message, messages.ERROR)
            else:
                level = messages.SUCCESS if changed else messages.WARNING
                message = done if changed else unchanged
                modeladmin.message_user(request, message % {"tenant": account.tenant}, level)
        return None
    return operation_page(
        modeladmin, request, accounts, form=form, action=action, title=title, intro=intro,
        submit_label=submit_label,
    )


@admin.action(description=_("Suspend the selected accounts…"), permissions=["staff_operation"])
def suspend_accounts(modeladmin, request, queryset):
    return _status_operation(
        modeladmin, request, queryset, action="suspend_accounts", service=account_suspend,
        title=_("Suspend credit accounts"),
        intro=_(
            "A suspended account starts no new paid calls; funds, charges already made and "
            "expiries still post."
        ),
        submit_label=_("Suspend"),
        done=_("The credit account of %(tenant)s is suspended."),
        unchanged=_("The credit account of %(tenant)s was already suspended."),
    )


@admin.action(description=_("Resume the selected accounts…"), permissions=["staff_operation"])
def resume_accounts(modeladmin, request, queryset):
    return _status_operation(
        modeladmin, request, queryset, action="resume_accounts", service=account_resume,
        title=_("Resume credit accounts"),
        intro=_("A resumed account is active again: paid calls may start."),
        submit_label=_("Resume"),
        done=_("The credit account of %(tenant)s is active again."),
        unchanged=_("The credit account of %(tenant)s was already active."),
    )


@admin.action(description=_("Reverse the selected entries…"), permissions=["staff_operation"])
def reverse_entries(modeladmin, request, queryset):
    """Post each entry's opposite through ``entry_reverse``, with the reason as memo."""
    entries = list(queryset.select_related("account__tenant").order_by("pk"))
    confirmed = operation_confirmed(request)
    form = ReasonForm(request.POST if confirmed else None)
    if confirmed and form.is_valid():
        token = form.cleaned_data["token"]
        for entry in entries:
            key = f"backoffice:reverse:{token}:{entry.pk}"
            replayed = LedgerEntry.objects.filter(
                account_id=entry.account_id, idempotency_key=key
            ).exists()
            try:
                reversal = entry_reverse(
                    entry=entry, memo=form.cleaned_data["reason"], idempotency_key=key,
                    acting_user=request.user,
                )
            except LedgerError as error:
                modeladmin.message_user(request, error.message, messages.ERROR)
                continue
            enqueue_after_commit("balance_alert_check_task", account_id=entry.account_id)
            if replayed:
                message = _("Entry #%(entry)s was already reversed from this page (entry "
                            "#%(reversal)s): nothing was posted again.")
                level = messages.WARNING
            else:
                message = _("Entry #%(entry)s is reversed by entry #%(reversal)s.")
                level = messages.SUCCESS
            modeladmin.message_user(
                request, message % {"entry": entry.pk, "reversal": reversal.pk}, level
            )
        return None
    return operation_page(
        modeladmin, request, entries, form=form, action="reverse_entries",
        title=_("Reverse ledger entries"),
        intro=_(
            "Each entry gets a reversing entry of the opposite amount pointing at it; the "
            "reason is its memo. Expiries and reversals can't be reversed."
        ),
        submit_label=_("Reverse"),
    )


@admin.register(CreditAccount)
class CreditAccountAdmin(StaffOperationsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
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
    actions = (issue_credit, debit_correction, suspend_accounts, resume_accounts)


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
class LedgerEntryAdmin(StaffOperationsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
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
    actions = (reverse_entries,)

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


@admin.register(LedgerDaySummary)
class LedgerDaySummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The day rollup the ledger keeps (read-only: only postings change it)."""

    list_display = ("account", "day", "spent", "funded", "entries")
    list_filter = ("account__currency",)
    search_fields = ("account__tenant__name", "account__tenant__slug")
    list_select_related = ("account__tenant",)
    date_hierarchy = "day"
    ordering = ("-day", "account")
    readonly_fields = ("account", "day", "spent", "funded", "entries")
    fields = readonly_fields
