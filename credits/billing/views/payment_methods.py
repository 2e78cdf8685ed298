"""Billing > Payment methods: saved cards (add, set default, remove) and the
organization's Enterprise Agreements.

A card's number and security code go to the gateway when the card is added and are never
stored; the page shows brand, last four digits and expiry. Agreements are set up by the
account team (the backoffice); admins see them here and choose them at checkout.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Action
from accounts.security.sessions import reauthentication_required, reauthentication_response
from accounts.shell.access import console_view, get_tenant_object_or_404
from accounts.shell.rendering import changed, render_page
from credits.billing.forms import CardAddForm
from credits.billing.models import EnterpriseAgreement, PaymentMethod
from credits.billing.selectors.subscription import billing_profile_of, saved_cards
from credits.billing.services.payment_methods import card_add, card_remove, card_set_default
from credits.billing.views.common import PAYMENT_METHODS_CHANGED
from credits.exceptions import CardRefused, CreditsError
from credits.ledger.selectors import credit_account_for_tenant

PAGE_TEMPLATE = "credits/billing/payment_methods.html"


def _page(request: HttpRequest, *, notice: str = "", error: str = "") -> HttpResponse:
    tenant = request.tenant
    account = credit_account_for_tenant(tenant)
    profile = billing_profile_of(account) if account else None
    context = {
        "cards": list(saved_cards(tenant)),
        "agreements": list(
            EnterpriseAgreement.objects.for_tenant(tenant).order_by("-is_active", "number")
        ),
        "credits_card_id": profile.card_id if profile else None,
        "can_manage": request.user.has_action(Action.MANAGE_BILLING),
        "notice": notice,
        "error": error,
    }
    return render_page(request, PAGE_TEMPLATE, "cards", context)


@require_GET
@console_view(Action.VIEW_BILLING)
def payment_methods(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_http_methods(["GET", "POST"])
@console_view(Action.MANAGE_BILLING)
@reauthentication_required()
def card_add_view(request: HttpRequest) -> HttpResponse:
    form = CardAddForm(request.POST if request.method == "POST" else None)
    template, name = "credits/billing/card_add.html", "card-panel"
    context = {"form": form, "added": None, "card_error": ""}
    if request.method == "POST" and form.is_valid():
        try:
            card = card_add(
                tenant=request.tenant, acting_user=request.user, card=form.card,
                make_default=form.cleaned_data["make_default"],
            )
        except CardRefused as error:
            field = {"invalid_number": "card_number", "invalid_cvc": "cvc"}.get(
                error.card_code, "expiry" if "expir" in error.card_code else None
            )
            form.add_error(field, error.message)
        else:
            notice = _("%(card)s was added.") % {"card": card.label}
            if not request.htmx:
                messages.success(request, notice)
                return redirect("credits:payment_methods")
            context["added"] = card
            return changed(render_page(request, template, name, context), PAYMENT_METHODS_CHANGED)
    return render_page(request, template, name, context)


def _card(request: HttpRequest, pk: int) -> PaymentMethod:
    return get_tenant_object_or_404(
        request, PaymentMethod.objects.saved(), action=Action.MANAGE_BILLING, pk=pk
    )


def _after(request: HttpRequest, *, notice: str = "", error: str = "") -> HttpResponse:
    if request.htmx:
        return _page(request, notice=notice, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("credits:payment_methods")


@require_POST
@console_view(Action.VIEW_BILLING)
def card_set_default_view(request: HttpRequest, pk: int) -> HttpResponse:
    card = _card(request, pk)
    # After finding the card: another tenant's is 404 before anything is asked.
    asked = reauthentication_response(request)
    if asked is not None:
        return asked
    try:
        card_set_default(card=card, acting_user=request.user)
    except CreditsError as error:
        return _after(request, error=error.message)
    return _after(request, notice=_("%(card)s is now your default card.") % {"card": card.label})


@require_POST
@console_view(Action.VIEW_BILLING)
def card_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    card = _card(request, pk)
    try:
        card_remove(card=card, acting_user=request.user)
    except CreditsError as error:
        return _after(request, error=error.message)
    return _after(request, notice=_("%(card)s was removed.") % {"card": card.label})
