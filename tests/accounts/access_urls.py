"""A test-only URLconf: small console views that go through accounts.shell.access.

It includes accounts.urls (Home, sign-in, sign-out), the language switcher and the
backoffice, so base.html and the error pages render as they do in the real site, and
nothing from credits, so the navigation has only what exists here.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from accounts.models import Subscription
from accounts.permissions import Action
from accounts.shell.access import console_view, get_tenant_object_or_404
from config.urls import language_urlpatterns


@console_view()
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_tenant_object_or_404(
        request, Subscription.objects.select_related("product"), pk=pk
    )
    return HttpResponse(f"{subscription.product.name}: {subscription.seats} licenses")


@console_view()
def subscription_change_billing(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_tenant_object_or_404(
        request, Subscription, pk=pk, action=Action.MANAGE_BILLING
    )
    return HttpResponse(f"Billing settings of {subscription.product.name}")


@console_view(Action.MANAGE_BILLING)
def billing_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"Billing of {request.tenant.name}")


urlpatterns = [
    path("admin/", admin.site.urls),
    *language_urlpatterns,
    path("access/subscriptions/<int:pk>/", subscription_detail, name="subscription_detail"),
    path(
        "access/subscriptions/<int:pk>/billing/",
        subscription_change_billing,
        name="subscription_change_billing",
    ),
    path("access/billing/", billing_page, name="billing_page"),
    path("", include("accounts.urls")),
]
