"""Billing > Your products, and the Communications Credits subscription page with its
dialogs: Add more funds, Modify recharge settings and Change payment method.

The dialogs open in the flyout through htmx and are full pages without JavaScript. After
a payment or a change they answer with their partial and the ``credits-changed`` event,
and the subscription page, listening for it, fetches its content again: the balance,
lots, transactions, chart and history update in place.
"""

from __future__ import annotations

import re
from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Product
from accounts.permissions import Action
from accounts.security.sessions import reauthentication_required
from accounts.selectors import subscriptions_with_usage
from accounts.shell.access import console_view
from accounts.shell.rendering import changed, render_page
from credits.billing.choices import OrderKind, OrderStatus, PaymentType
from credits.billing.forms import (
    AGREEMENT,
    CARD_PREFIX,
    INVOICE,
    AddFundsForm,
    PaymentForm,
    RechargeSettingsForm,
)
from credits.billing.rules import RechargeSettings
from credits.billing.selectors.funding_advice import funding_advice_context, recharge_prefill
from credits.billing.selectors.invoices import invoicing_allowed
from credits.billing.selectors.runway import credits_runway
from credits.billing.selectors.subscription import (
    CHART_DAYS,
    LOTS_SHOWN,
    agreements,
    balance_history,
    billing_history,
    billing_profile_of,
    credits_subscription_of,
    lots_shown,
    recharge_failure,
    saved_cards,
)
from credits.billing.services.orders import order_place, order_retry
from credits.billing.services.recharge_settings import (
    billing_profile_change,
    recharge_settings_update,
)
from credits.billing.views.common import CREDITS_CHANGED, payment_attempt, payment_refused
from credits.billing.views.transactions import transactions_context
from credits.common.formatting import format_money
from credits.exceptions import (
    CreditsNotSetUp,
    InvalidOrderAmount,
    InvalidRechargeSettings,
    OrderError,
    PaymentDeclined,
    PurchaseNotAllowed,
)
from credits.ledger.choices import CreditAccountStatus
from credits.ledger.selectors import EXPIRY_ALERT_WINDOW, balance_at, credit_account_for_tenant
from credits.notifications.alerts import balance_alert_threshold

PAGE_TEMPLATE = "credits/billing/credits_subscription.html"
# Regions of the subscription page an htmx request may ask for, by their element id.
PAGE_PARTIALS = {"credits-transactions": "transactions", "credits-page": "credits-page"}


@require_GET
@console_view(Action.VIEW_BILLING)
def products(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    account = credit_account_for_tenant(tenant)
    context = {
        "subscriptions": list(subscriptions_with_usage(tenant=tenant)),
        "account": account,
        "balance": balance_at(account=account) if account else None,
        "credits_code": Product.COMMUNICATIONS_CREDITS,
    }
    return render(request, "credits/billing/products.html", context)


def _not_set_up(request: HttpRequest) -> HttpResponse:
    if request.user.has_action(Action.MANAGE_BILLING):
        messages.info(
            request,
            _("Set up Communications Credits first: choose how much to add and how to pay."),
        )
        return redirect("credits:credits_setup")
    return render(request, "credits/billing/credits_not_set_up.html", status=200)


@require_GET
@console_view(Action.VIEW_BILLING)
def credits_subscription(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    account = credit_account_for_tenant(tenant)
    if account is None:
        return _not_set_up(request)
    now = timezone.now()
    balance = balance_at(account=account)
    advice = funding_advice_context(tenant=tenant, user=request.user, account=account, at=now)
    points = balance_history(account, now=now)
    context = {
        "account": account,
        "balance": balance,
        # the advice's rate when this admin sees the advice, else one read of it
        "runway": credits_runway(tenant=tenant, account=account, balance=balance, at=now,
                                 advice=advice.get("funding_advice")),
        "subscription": credits_subscription_of(tenant),
        "profile": billing_profile_of(account),
        "recharge": RechargeSettings.of_account(account),
        "balance_alert": balance_alert_threshold(tenant),
        "recharge_failure": recharge_failure(account),
        "lots": list(lots_shown(account)),
        "lots_limit": LOTS_SHOWN,
        "now": now,
        "soon": now + EXPIRY_ALERT_WINDOW,
        **transactions_context(request, account),
        "chart_days": CHART_DAYS,
        "chart": {
            "labels": [p.day.isoformat() for p in points],
            "values": [str(p.balance) for p in points],
            "display": [format_money(p.balance, account.currency) for p in points],
            "currency": account.currency,
        },
        "chart_points": points,
        "history": [
            history_row(event, account.currency) for event in billing_history(tenant)
        ],
        "credits_code": Product.COMMUNICATIONS_CREDITS,
        "can_manage": request.user.has_action(Action.MANAGE_BILLING),
        **advice,
    }
    name = "credits-page"
    if request.htmx:
        name = PAGE_PARTIALS.get(request.htmx.target or "", "credits-page")
    return render_page(request, PAGE_TEMPLATE, name, context)


HISTORY_LABELS = {
    "credits.order_succeeded": _lazy("Order paid"),
    "credits.order_failed": _lazy("Payment failed"),
    "credits.recharge_settings_update": _lazy("Recharge settings changed"),
    "credits.balance_alert_update": _lazy("Low-balance alert changed"),
    "credits.billing_profile_update": _lazy("Payment method changed"),
    "credits.card_add": _lazy("Card added"),
    "credits.card_remove": _lazy("Card removed"),
    "credits.card_set_default": _lazy("Default card changed"),
    "credits.subscription_activate": _lazy("Subscription started"),
    "credits.account_open": _lazy("Credits account opened"),
}
HISTORY_KEYS = {
    "status": _lazy("status"),
    "amount": _lazy("amount"),
    "balance": _lazy("balance"),
    "paid_with": _lazy("paid with"),
    "reason": _lazy("reason"),
    "enabled": _lazy("auto-recharge"),
    "trigger": _lazy("below"),
    "monthly_limit": _lazy("monthly limit"),
    "threshold": _lazy("alert below"),
    "pay_with": _lazy("pay with"),
    "card": _lazy("card"),
    "enterprise_agreement": _lazy("EA"),
    "po_number": _lazy("PO"),
    "default": _lazy("default"),
}


MONEY_KEYS = frozenset({"amount", "balance", "trigger", "monthly_limit", "threshold"})
# Values the audit keeps as codes, shown with their labels in the admin's language.
VALUE_LABELS = {
    "status": {**dict(CreditAccountStatus.choices), **dict(OrderStatus.choices)},
    "paid_with": dict(PaymentType.choices),
    "pay_with": dict(PaymentType.choices),
}
# The audit's targets, written in English with database ids ("Order C-2026-00012",
# "Payment method 7"), as the list shows them: numbers people know, in their language; the
# account's own id and a card's (the change names the card) are left out.
ORDER_TARGET = re.compile(r"Order (?P<number>\S+)")
INVOICE_TARGET = re.compile(r"Invoice (?P<number>\S+)")
SUBSCRIPTION_TARGET = re.compile(r"Subscription \d+ · (?P<product>.+)")
HIDDEN_TARGET = re.compile(r"(Credit account|Payment method) \d+( · entry #\d+)?")


def target_shown(target: str) -> str:
    if match := ORDER_TARGET.fullmatch(target):
        return _("Order %(number)s") % {"number": match["number"]}
    if match := INVOICE_TARGET.fullmatch(target):
        return _("Invoice %(number)s") % {"number": match["number"]}
    if match := SUBSCRIPTION_TARGET.fullmatch(target):
        return match["product"]
    return "" if HIDDEN_TARGET.fullmatch(target) else target


def history_row(event, currency: str) -> dict:
    """An audit event as the Recent changes list shows it: what changed, before → after."""
    changes = []
    for key, label in HISTORY_KEYS.items():
        if key not in event.after and key not in event.before:
            continue
        before, after = event.before.get(key), event.after.get(key)
        if before == after or (before in (None, "") and after in (None, "")):
            continue
        if key in MONEY_KEYS:
            before, after = _money(before, currency), _money(after, currency)
        labels = VALUE_LABELS.get(key, {})
        before, after = labels.get(before, before), labels.get(after, after)
        changes.append((label, _shown(before), _shown(after)))
    return {
        "at": event.created_at,
        "actor": event.actor.display_name if event.actor else "",
        "label": HISTORY_LABELS.get(event.action, event.action),
        "target": target_shown(event.target),
        "changes": changes,
    }


def _money(value, currency: str):
    return format_money(value, currency) if isinstance(value, str) and value else value


def _shown(value):
    if value is None:
        return None
    if value is True:
        return _("on")
    if value is False:
        return _("off")
    return value


def _selected(profile) -> str:
    """The payment choice the billing profile suggests."""
    if profile is None:
        return ""
    if profile.payment_type == PaymentType.CARD and profile.card_id:
        return f"{CARD_PREFIX}{profile.card_id}"
    if profile.payment_type == PaymentType.ENTERPRISE_AGREEMENT:
        return AGREEMENT
    return INVOICE


def _profile_initial(profile) -> dict:
    if profile is None:
        return {}
    return {
        "enterprise_agreement": str(profile.enterprise_agreement_id or ""),
        "po_number": profile.po_number,
    }


def _done(request: HttpRequest, template: str, name: str, context: dict, notice: str):
    """After a change: the dialog's partial with the notice and the refresh event, or,
    without htmx, back to the subscription page with the notice."""
    if not request.htmx:
        messages.success(request, notice)
        return redirect("credits:credits_subscription")
    context["notice"] = notice
    return changed(render_page(request, template, name, context), CREDITS_CHANGED)


@require_http_methods(["GET", "POST"])
@console_view(Action.MANAGE_BILLING)
@reauthentication_required()
def credits_add_funds(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    account = credit_account_for_tenant(tenant)
    if account is None:
        return _not_set_up(request)
    profile = billing_profile_of(account)
    # Try again, after a payment left pending: the order placed with the form's token.
    retry = request.POST.get("retry", "") if request.method == "POST" else ""
    form = AddFundsForm(
        request.POST if request.method == "POST" and not retry else None,
        currency=tenant.currency,
        cards=list(saved_cards(tenant)),
        agreements=list(agreements(tenant)),
        selected=_selected(profile),
        initial=_profile_initial(profile),
        invoicing=invoicing_allowed(tenant),
    )
    template, name = "credits/billing/credits_add_funds.html", "add-funds-panel"
    context = {"form": form, "account": account, "notice": "", "payment_error": "",
               "page_title": _("Add more funds")}
    if retry or (request.method == "POST" and form.is_valid()):
        key = retry or form.cleaned_data["token"]
        pay = partial(order_retry, tenant=tenant, idempotency_key=key) if retry else partial(
            order_place, tenant=tenant, acting_user=request.user, kind=OrderKind.TOP_UP,
            amount=form.cleaned_data["amount"], payment=form.payment, idempotency_key=key,
        )
        try:
            order = payment_attempt(pay, tenant=tenant, key=key)
        except InvalidOrderAmount as error:
            form.add_error("amount", error.message)
        except CreditsNotSetUp as error:
            context["payment_error"] = error.message
        except (OrderError, PurchaseNotAllowed, PaymentDeclined) as error:
            context.update(payment_refused(form, error, tenant))
        else:
            if isinstance(order, dict):  # the outcome is unknown: the order's state, Try again
                context.update(order)
                return render_page(request, template, name, context)
            balance = balance_at(account=account)
            notice = _("%(amount)s added (order %(number)s). Your balance is %(balance)s.") % {
                "amount": format_money(order.amount, order.currency),
                "number": order.number,
                "balance": format_money(balance, account.currency),
            }
            context.update({"order": order, "balance": balance})
            return _done(request, template, name, context, notice)
    return render_page(request, template, name, context)


@require_http_methods(["GET", "POST"])
@console_view(Action.MANAGE_BILLING)
@reauthentication_required()
def credits_recharge_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    account = credit_account_for_tenant(tenant)
    if account is None:
        return _not_set_up(request)
    form = RechargeSettingsForm(
        request.POST if request.method == "POST" else None, currency=tenant.currency
    )
    if request.method != "POST":
        form.initial_from(RechargeSettings.of_account(account))
        form.initial.update(recharge_prefill(request.GET, currency=tenant.currency))
    template, name = "credits/billing/credits_recharge_settings.html", "recharge-panel"
    context = {"form": form, "account": account, "notice": "",
               "page_title": _("Modify recharge settings")}
    if request.method == "POST" and form.is_valid():
        try:
            recharge_settings_update(
                account=account, acting_user=request.user, settings=form.recharge
            )
        except InvalidRechargeSettings as error:
            for key, message in error.errors.items():
                form.add_error(form.ERROR_FIELDS.get(key), message)
        else:
            return _done(request, template, name, context, _("Recharge settings saved."))
    return render_page(request, template, name, context)


@require_http_methods(["GET", "POST"])
@console_view(Action.MANAGE_BILLING)
@reauthentication_required()
def credits_payment_method(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    account = credit_account_for_tenant(tenant)
    if account is None:
        return _not_set_up(request)
    profile = billing_profile_of(account)
    form = PaymentForm(
        request.POST if request.method == "POST" else None,
        cards=list(saved_cards(tenant)),
        agreements=list(agreements(tenant)),
        with_token=False,
        selected=_selected(profile),
        initial=_profile_initial(profile),
        invoicing=invoicing_allowed(tenant),
    )
    template, name = "credits/billing/credits_payment_method.html", "payment-method-panel"
    context = {"form": form, "account": account, "notice": "", "payment_error": "",
               "page_title": _("Change payment method")}
    if request.method == "POST" and form.is_valid():
        try:
            billing_profile_change(account=account, acting_user=request.user, payment=form.payment)
        except (OrderError, PurchaseNotAllowed) as error:
            context.update(payment_refused(form, error, tenant))
        else:
            return _done(request, template, name, context, _("Payment method saved."))
    return render_page(request, template, name, context)
