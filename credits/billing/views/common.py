"""What the billing views share: the htmx events their pages listen to, and how a
refused payment is explained (on the form, with a service request link for an
agreement billed in another region)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import ServiceRequestTopic
from credits.billing.regions import describe
from credits.exceptions import AgreementRegionMismatch, CardRefused, PaymentDeclined

CREDITS_CHANGED = "credits-changed"  # htmx event: the subscription page refreshes itself
PAYMENT_METHODS_CHANGED = "payment-methods-changed"


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
