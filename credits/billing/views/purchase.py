"""Billing > Purchase services: the catalog, the Communications Credits set-up (Add funds,
Auto-recharge, Recharge with, When the balance falls below; Next; payment; Place order)
and the order confirmation.

The set-up's two steps are one URL: step 1's values ride along as hidden fields into the
payment step, where everything is validated again before ``order_place``. The payment
step carries a token (a UUID) that becomes the order's idempotency key, so a
double-submitted Place order charges once. When the payment's outcome is unknown (the
gateway didn't answer, the server failed mid-way) the payment step shows the pending
order and Try again, which posts the same token (``retry``): the same order, never a
second charge. Global Readers see the pages without buying.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import ProductCategory
from accounts.permissions import Action
from accounts.security.sessions import reauthentication_required
from accounts.shell.access import console_view, get_tenant_object_or_404
from accounts.shell.rendering import go, render_page
from credits.billing.choices import OrderKind
from credits.billing.forms import CreditsSetupForm, PaymentForm
from credits.billing.rules import (
    MAX_ORDER_AMOUNT,
    MIN_ORDER_AMOUNT,
    RechargeSettings,
    credits_available_check,
)
from credits.billing.selectors.invoices import invoicing_allowed
from credits.billing.selectors.subscription import agreements, catalog, order_for_page, saved_cards
from credits.billing.services.orders import order_place, order_retry
from credits.billing.views.common import payment_attempt, payment_refused
from credits.exceptions import (
    CreditsAlreadySetUp,
    InvalidOrderAmount,
    InvalidRechargeSettings,
    OrderError,
    PaymentDeclined,
    PurchaseNotAllowed,
)
from credits.ledger.selectors import credit_account_for_tenant

SETUP_TEMPLATE = "credits/billing/credits_setup.html"


@require_GET
@console_view(Action.VIEW_BILLING)
def purchase_services(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "")
    if category not in ProductCategory.values:
        category = ""
    context = {
        "sections": catalog(request.tenant, category=category),
        "categories": ProductCategory.choices,
        "category": category,
        "credits_set_up": credit_account_for_tenant(request.tenant) is not None,
        "credits_unavailable": _unavailable(request.tenant),
    }
    return render_page(request, "credits/billing/purchase_services.html", "catalog", context)


def _unavailable(tenant) -> str:
    try:
        credits_available_check(tenant)
    except PurchaseNotAllowed as error:
        return error.message
    return ""


def _payment_form(request: HttpRequest, data=None) -> PaymentForm:
    return PaymentForm(
        data,
        cards=list(saved_cards(request.tenant)),
        agreements=list(agreements(request.tenant)),
        invoicing=invoicing_allowed(request.tenant),
    )


def _render_setup(request: HttpRequest, step: str, setup: CreditsSetupForm, **extra):
    context = {
        "step": step,
        "setup": setup,
        "can_buy": request.user.has_action(Action.MANAGE_BILLING),
        "refusal": "",
        "min_amount": MIN_ORDER_AMOUNT,
        "max_amount": MAX_ORDER_AMOUNT,
        "currency": request.tenant.currency,
        **extra,
    }
    return render_page(request, SETUP_TEMPLATE, "checkout", context)


@require_http_methods(["GET", "POST"])
@console_view(Action.VIEW_BILLING)
@reauthentication_required(Action.MANAGE_BILLING)
def credits_setup(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    if request.method == "POST" and not request.user.has_action(Action.MANAGE_BILLING):
        raise PermissionDenied
    placing = request.method == "POST" and request.POST.get("step") == "payment"
    # Place order sent again after it succeeded goes on to order_place, which answers with
    # the order already placed with the form's token (a double submit charges once).
    if credit_account_for_tenant(tenant) is not None and not placing:
        messages.info(
            request,
            _(
                "Communications Credits are already set up for your organization. Add funds "
                "or change the recharge settings here."
            ),
        )
        return go(request, "credits:credits_subscription")
    currency = tenant.currency
    refusal = _unavailable(tenant)
    if refusal:
        return _render_setup(request, "refused", CreditsSetupForm(currency=currency),
                             refusal=refusal)
    if request.method == "GET":
        return _render_setup(
            request, "setup", CreditsSetupForm(currency=currency, initial={"auto_recharge": True})
        )

    setup = CreditsSetupForm(request.POST, currency=currency)
    step = request.POST.get("step")
    if not setup.is_valid() or (step == "payment" and "back" in request.POST):
        return _render_setup(request, "setup", setup)
    if step != "payment":
        return _render_setup(request, "payment", setup, payment_form=_payment_form(request))

    # Try again, after a payment left pending: the order placed with the form's token.
    retry = request.POST.get("retry", "")
    payment_form = _payment_form(request, None if retry else request.POST)
    if not retry and not payment_form.is_valid():
        return _render_setup(request, "payment", setup, payment_form=payment_form)
    key = retry or payment_form.cleaned_data["token"]
    pay = partial(order_retry, tenant=tenant, idempotency_key=key) if retry else partial(
        order_place,
        tenant=tenant,
        acting_user=request.user,
        kind=OrderKind.PURCHASE,
        amount=setup.cleaned_data["add_funds"],
        payment=payment_form.payment,
        idempotency_key=key,
        recharge=setup.recharge,
    )
    try:
        order = payment_attempt(pay, tenant=tenant, key=key)
    except CreditsAlreadySetUp as error:
        messages.info(request, error.message)
        return go(request, "credits:credits_subscription")
    except (InvalidOrderAmount, InvalidRechargeSettings) as error:
        setup.add_error(None, error.message)
        return _render_setup(request, "setup", setup)
    except (OrderError, PurchaseNotAllowed, PaymentDeclined) as error:
        extra = payment_refused(payment_form, error, tenant)
        return _render_setup(request, "payment", setup, payment_form=payment_form, **extra)
    if isinstance(order, dict):  # the outcome is unknown: the order's state and Try again
        return _render_setup(request, "payment", setup, payment_form=payment_form, **order)
    return go(request, "credits:order_detail", order.pk)


@require_GET
@console_view(Action.VIEW_BILLING)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_tenant_object_or_404(request, order_for_page(), pk=pk)
    settings = order.recharge_settings
    recharge = RechargeSettings.from_json(settings) if settings else None
    context = {"order": order, "recharge": recharge}
    return render_page(request, "credits/billing/order_detail.html", "order", context)
