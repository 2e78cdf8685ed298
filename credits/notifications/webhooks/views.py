"""Billing > Webhooks: the tenant's endpoints (add, change, roll the secret, enable or
disable, delete) and each endpoint's delivery log with Resend. For the admins who change
recharge settings (``Action.MANAGE_BILLING``); another tenant's endpoint is 404.

A signing secret is shown in the answer to the request that made it (adding an endpoint,
Roll secret), never stored in the session or shown again."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Action
from accounts.shell.access import console_view, get_tenant_object_or_404
from accounts.shell.rendering import render_page
from credits.exceptions import CreditsError
from credits.notifications.webhooks.addresses import WebhookAddressRefused
from credits.notifications.webhooks.choices import WebhookEventType
from credits.notifications.webhooks.forms import WebhookEndpointForm
from credits.notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
from credits.notifications.webhooks.selectors import delivery_log, webhook_endpoints
from credits.notifications.webhooks.services import (
    webhook_delivery_resend,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_enable,
    webhook_endpoint_update,
    webhook_secret_roll,
)

LOG_PAGE_SIZE = 25
FORM_TEMPLATE = "credits/webhooks/webhook_form.html"
SECRET_TEMPLATE = "credits/webhooks/webhook_secret.html"


def endpoint_of(request: HttpRequest, pk: int) -> WebhookEndpoint:
    return get_tenant_object_or_404(request, WebhookEndpoint, pk=pk)


@require_GET
@console_view(Action.MANAGE_BILLING)
def webhooks(request: HttpRequest) -> HttpResponse:
    context = {
        "endpoints": list(webhook_endpoints(request.tenant)),
        "event_types": WebhookEventType.choices,
    }
    return render_page(request, "credits/webhooks/webhooks.html", "endpoints", context)


@never_cache
@require_http_methods(["GET", "POST"])
@console_view(Action.MANAGE_BILLING)
def webhook_add(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = webhook_endpoint_create(
                tenant=request.tenant, acting_user=request.user, url=data["url"],
                events=data["events"], description=data["description"],
            )
        except WebhookAddressRefused as refusal:
            form.add_error("url", refusal.message)
        except CreditsError as refusal:
            form.add_error(None, refusal.message)
        else:
            context = {"endpoint": endpoint, "secret": secret, "added": True}
            return render_page(request, SECRET_TEMPLATE, "secret-panel", context)
    context = {"form": form, "endpoint": None}
    return render_page(request, FORM_TEMPLATE, "endpoint-panel", context)


@require_http_methods(["GET", "POST"])
@console_view(Action.MANAGE_BILLING)
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_of(request, pk)
    initial = {"url": endpoint.url, "description": endpoint.description,
               "events": endpoint.events}
    form = WebhookEndpointForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhook_endpoint_update(
                endpoint=endpoint, acting_user=request.user, url=data["url"],
                events=data["events"], description=data["description"],
            )
        except WebhookAddressRefused as refusal:
            form.add_error("url", refusal.message)
        except CreditsError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("The endpoint was saved."))
            return redirect("credits:webhook_detail", pk=endpoint.pk)
    context = {"form": form, "endpoint": endpoint}
    return render_page(request, FORM_TEMPLATE, "endpoint-panel", context)


@require_GET
@console_view(Action.MANAGE_BILLING)
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_of(request, pk)
    page = Paginator(delivery_log(endpoint), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    for delivery in page.object_list:
        delivery.endpoint = endpoint  # one endpoint: no query per row
    context = {"endpoint": endpoint, "page_obj": page, "deliveries": page.object_list,
               "query_without_page": ""}
    return render_page(request, "credits/webhooks/webhook_detail.html", "delivery-log", context)


@never_cache
@require_POST
@console_view(Action.MANAGE_BILLING)
def webhook_secret_roll_view(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_of(request, pk)
    secret = webhook_secret_roll(endpoint=endpoint, acting_user=request.user)
    context = {"endpoint": endpoint, "secret": secret, "added": False}
    return render_page(request, SECRET_TEMPLATE, "secret-panel", context)


@require_POST
@console_view(Action.MANAGE_BILLING)
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_of(request, pk)
    enabled = request.POST.get("enabled") == "1"
    try:
        webhook_endpoint_enable(endpoint=endpoint, acting_user=request.user, enabled=enabled)
    except CreditsError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("The endpoint was enabled.") if enabled else _("The endpoint was disabled.")
        )
    return redirect("credits:webhook_detail", pk=endpoint.pk)


@require_POST
@console_view(Action.MANAGE_BILLING)
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_of(request, pk)
    webhook_endpoint_delete(endpoint=endpoint, acting_user=request.user)
    messages.success(request, _("The endpoint %(url)s was deleted.") % {"url": endpoint.url})
    return redirect("credits:webhooks")


@require_POST
@console_view(Action.MANAGE_BILLING)
def webhook_resend(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    endpoint = endpoint_of(request, pk)
    delivery = get_tenant_object_or_404(
        request, WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event"),
        pk=delivery_pk,
    )
    delivery.endpoint = endpoint
    try:
        webhook_delivery_resend(delivery=delivery, acting_user=request.user)
    except CreditsError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("%(type)s was sent again.") % {"type": delivery.event.type}
        )
    return redirect("credits:webhook_detail", pk=endpoint.pk)
