"""What the billing views share: the htmx events their pages listen to, how a refused
payment is explained (on the form, with a service request link for an agreement billed
in another region), and how a payment whose outcome is unknown is (the order's state
and a Try again that reuses the form's token)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import ServiceRequestTopic
from credits.billing.models import Order
from credits.billing.regions import describe
from credits.billing.services.orders import order_find, order_retry
from credits.exceptions import (
    AgreementRegionMismatch,
    CardRefused,
    CreditsError,
    PaymentDeclined,
    PaymentPending,
)

log = logging.getLogger(__name__)

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


def payment_attempt(pay: Callable[[], Order], *, tenant, key: str) -> Order | dict:
    """Run ``pay`` (placing an order, or trying one again) and return the order it paid,
    or, when the payment's outcome is unknown, the page context that says so: the
    pending order (``pending_order``, with its number and a Try again that posts its
    token as ``retry``, so a retry is the same order and never a second charge).

    Refusals (``CreditsError``: a declined card, an amount out of bounds...) are raised
    for the view to explain as it always has. An unexpected error (a crash after the
    charge, a lost database connection) is logged and answered with the state of the
    order the form's token placed, if it placed one: nothing is left hanging."""
    try:
        return pay()
    except PaymentPending as pending:
        return {"pending_order": pending.order, "payment_pending": pending.message}
    except CreditsError:
        raise
    except Exception:  # noqa: BLE001 - the admin is told the order's state instead of a 500
        log.exception("The payment of the form with token %s ended in an error", key)
    order = order_find(tenant=tenant, idempotency_key=key)
    if order is None:
        return {"payment_error": _(
            "Something went wrong before the payment was made, so nothing was charged. "
            "Try again."
        )}
    if order.is_pending:
        return {"pending_order": order, "payment_pending": _(
            "Something went wrong while order %(number)s was being paid, so it is pending. "
            "Try again to check it: the same order is used, so nothing is charged twice. "
            "Otherwise it is settled automatically within a few minutes."
        ) % {"number": order.number}}
    # Finished after all: a failed one raises PaymentDeclined, explained as usual.
    return order_retry(tenant=tenant, idempotency_key=key)
