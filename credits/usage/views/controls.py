"""Billing > Spend controls (the unusual-spend alert, the daily cap and "Lift for today")
and Billing > Calling restrictions (premium-rate numbers, international destinations, the
users allowed anyway). The billing roles change them; Global Readers see them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Action
from accounts.shell.access import console_view
from accounts.shell.rendering import go, render_page
from credits.exceptions import InvalidControls
from credits.usage.forms import CallingRestrictionsForm, SpendControlsForm
from credits.usage.selectors import (
    calling_restrictions_of,
    daily_average_before,
    spend_controls_of,
)
from credits.usage.services.controls import (
    calling_restrictions_update,
    spend_cap_lift,
    spend_cap_status,
    spend_controls_update,
)
from credits.usage.telephony.controls import BASELINE_DAYS, day_of, zone_of

SPEND_TEMPLATE = "credits/usage/spend_controls.html"
RESTRICTIONS_TEMPLATE = "credits/usage/calling_restrictions.html"


def _may_change(request: HttpRequest) -> None:
    if request.method == "POST" and not request.user.has_action(Action.MANAGE_BILLING):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
@console_view(Action.VIEW_BILLING)
def spend_controls(request: HttpRequest) -> HttpResponse:
    _may_change(request)
    tenant = request.tenant
    controls = spend_controls_of(tenant=tenant)
    form = SpendControlsForm(
        request.POST if request.method == "POST" else None, currency=tenant.currency
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            spend_controls_update(
                tenant=tenant, acting_user=request.user,
                alert_enabled=data["alert_enabled"], multiplier=data["multiplier"].strip(),
                daily_amount=data["daily_amount"].strip(), stop_at_cap=data["stop_at_cap"],
            )
        except InvalidControls as error:
            for field, message in error.errors.items():
                form.add_error(field, message)
        else:
            messages.success(request, _("Spend controls saved."))
            return go(request, "credits:spend_controls")
    if request.method != "POST":
        form.initial_from(controls)
    now = timezone.now()
    today = day_of(now, zone_of(tenant.time_zone))
    capped, spend = spend_cap_status(tenant=tenant, controls=controls, at=now)
    context = {
        "form": form,
        "controls": controls,
        "currency": tenant.currency,
        "today": today,
        "time_zone": tenant.time_zone or "UTC",
        "capped": capped,
        "today_spend": spend if capped else None,
        "lifted_today": controls is not None and controls.cap_lifted_on == today,
        "average": daily_average_before(tenant=tenant, day=today),
        "baseline_days": BASELINE_DAYS,
        "may_change": request.user.has_action(Action.MANAGE_BILLING),
    }
    return render_page(request, SPEND_TEMPLATE, "spend-form", context)


@require_POST
@console_view(Action.MANAGE_BILLING)
def spend_cap_lift_view(request: HttpRequest) -> HttpResponse:
    """Lift for today: paid calls may start again until the day ends (audited)."""
    if spend_cap_lift(tenant=request.tenant, acting_user=request.user):
        messages.success(
            request, _("The daily cap is lifted for the rest of today: paid calls can start.")
        )
    else:
        messages.info(request, _("There was no daily cap to lift today."))
    return go(request, "credits:spend_controls")


@require_http_methods(["GET", "POST"])
@console_view(Action.VIEW_BILLING)
def calling_restrictions(request: HttpRequest) -> HttpResponse:
    _may_change(request)
    tenant = request.tenant
    row = calling_restrictions_of(tenant=tenant)
    form = CallingRestrictionsForm(
        request.POST if request.method == "POST" else None, tenant=tenant
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            calling_restrictions_update(
                tenant=tenant, acting_user=request.user,
                block_premium=data["block_premium"], international=data["international"],
                countries=data["countries"], exempt_users=form.exempt_users,
            )
        except InvalidControls as error:
            for field, message in error.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Calling restrictions saved."))
            return go(request, "credits:calling_restrictions")
    if request.method != "POST":
        form.initial_from(row)
    context = {
        "form": form,
        "restrictions": row,
        "may_change": request.user.has_action(Action.MANAGE_BILLING),
    }
    return render_page(request, RESTRICTIONS_TEMPLATE, "restrictions-form", context)


__all__ = ["calling_restrictions", "spend_cap_lift_view", "spend_controls"]
