"""Small helpers the billing views share: htmx partials, redirects, refusal links."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from accounts.models import ServiceRequestTopic
from credits.billing.regions import describe
from credits.exceptions import AgreementRegionMismatch, CardRefused, PaymentDeclined

CREDITS_CHANGED = "credits-changed"  # htmx event: the subscription page refreshes itself
PAYMENT_METHODS_CHANGED = "payment-methods-changed"


def partial(request: HttpRequest, template_name: str, name: str) -> str:
    """The page's named partial for an htmx request, the whole page otherwise."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template_name}#{name}"
    return template_name


def render_page(
    request: HttpRequest, template_name: str, name: str, context: dict, *, status: int = 200
) -> HttpResponse:
    response = render(request, partial(request, template_name, name), context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def changed(response: HttpResponse, event: str) -> HttpResponse:
    return trigger_client_event(response, event)


def go(request: HttpRequest, url_name: str, *args) -> HttpResponse:
    """Redirect; an htmx request gets the whole page at the new address."""
    url = reverse(url_name, args=args)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def agreement_service_request_url(tenant, agreement) -> str:
    """Support > Service requests with the form filled in for an agreement billed in
    another region than the organization."""
    query = urlencode(
        {
            "topic": ServiceRequestTopic.ENTERPRISE_AGREEMENT,
            "title": _("Review the billing address of Enterprise Agreement %(number)s")
            % {"number": agreement.number},
            "description": _(
                "We tried to buy Communications Credits with Enterprise Agreement %(number)s. "
                "Its billing address is in %(agreement_place)s, but our organization is "
                "located in %(tenant_place)s, so the purchase was refused. Please review the "
                "agreement's billing address or tell us which agreement to use."
            )
            % {
                "number": agreement.number,
                "agreement_place": describe(agreement.billing_country),
                "tenant_place": describe(tenant.country),
            },
        }
    )
    return f"{reverse('accounts:service_requests')}?{query}"


_CARD_FIELDS = {
    "invalid_number": "card_number",
    "invalid_cvc": "cvc",
    "invalid_expiry": "expiry",
    "expired_card": "expiry",
}


def payment_refused(form, error, tenant) -> dict:
    """Put a refused payment's explanation on the form; returns extra page context
    (the alert and, for an agreement in another region, the service request link)."""
    if isinstance(error, AgreementRegionMismatch):
        return {
            "payment_error": error.message,
            "service_request_url": agreement_service_request_url(tenant, error.agreement),
        }
    if isinstance(error, CardRefused):
        typed_card = getattr(form.payment, "new_card", None) is not None
        field = _CARD_FIELDS.get(error.card_code) if typed_card else "payment"
        if field in form.fields:
            form.add_error(field, error.message)
            return {}
    if isinstance(error, PaymentDeclined):
        # The failed order used up the form's token: the next try is a new order.
        data = form.data.copy()
        data["token"] = str(uuid.uuid4())
        form.data = data
    return {"payment_error": error.message}
