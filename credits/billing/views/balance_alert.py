"""Low-balance alert, a dialog of the Communications Credits page: the threshold below
which the admins who get billing emails are alerted once per crossing
(``credits.notifications.alerts``). Opens in the flyout through htmx; a full page
without JavaScript. After a change it answers with its partial and the
``credits-changed`` event, so the subscription page shows the new threshold."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import Action
from accounts.shell.access import console_view
from accounts.shell.rendering import changed, render_page
from credits.billing.forms import BalanceAlertForm
from credits.billing.services.balance_alert import balance_alert_update
from credits.billing.views.common import CREDITS_CHANGED
from credits.exceptions import InvalidRechargeSettings
from credits.ledger.selectors import credit_account_for_tenant
from credits.notifications.alerts import balance_alert_threshold

TEMPLATE = "credits/billing/credits_balance_alert.html"


def _text(value) -> str:
    return "" if value is None else f"{value.normalize():f}"


@require_http_methods(["GET", "POST"])
@console_view(Action.MANAGE_BILLING)
def credits_balance_alert(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    account = credit_account_for_tenant(tenant)
    if account is None:
        return redirect("credits:credits_subscription")
    form = BalanceAlertForm(
        request.POST if request.method == "POST" else None, currency=tenant.currency,
        initial={"threshold": _text(balance_alert_threshold(tenant))},
    )
    context = {"form": form, "account": account, "notice": "",
               "page_title": _("Low-balance alert")}
    if request.method == "POST" and form.is_valid():
        threshold = form.cleaned_data["threshold"]
        try:
            balance_alert_update(account=account, acting_user=request.user, threshold=threshold)
        except InvalidRechargeSettings as error:
            form.add_error("threshold", error.errors.get("threshold", error.message))
        else:
            notice = _("Low-balance alert saved.") if threshold is not None else _(
                "Low-balance alert turned off."
            )
            if not request.htmx:
                messages.success(request, notice)
                return redirect("credits:credits_subscription")
            context["notice"] = notice
            return changed(render_page(request, TEMPLATE, "balance-alert-panel", context),
                           CREDITS_CHANGED)
    return render_page(request, TEMPLATE, "balance-alert-panel", context)
