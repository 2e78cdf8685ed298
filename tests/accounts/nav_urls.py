"""A test-only URLconf where every page of the left navigation (README) exists.

The real accounts pages, plus stubs for the pages that credits has not built here.

Each stub page is guarded like the real one will be (console_view with the entry's
action), so tests can check that the navigation shows each admin what they may open.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path

from accounts import urls as accounts_urls
from accounts.shell.access import console_view
from accounts.shell.navigation import NavGroup, navigation_nodes
from config.urls import language_urlpatterns


def _stub(action: str):
    @console_view(action)
    def page(request: HttpRequest) -> HttpResponse:
        return render(request, "base.html")  # the shell, with its navigation

    return page


def _items():
    for node in navigation_nodes():
        yield from (node.items if isinstance(node, NavGroup) else (node,))


STUB_PATHS = {
    "accounts:active_users": "users/active/",
    "credits:purchase_services": "billing/purchase-services/",
    "credits:products": "billing/products/",
    "credits:bills": "billing/bills/",
    "credits:payment_methods": "billing/payment-methods/",
    "credits:pstn_usage": "reports/pstn-usage/",
    "credits:message_center": "message-center/",
}

_real = {f"accounts:{p.name}" for p in accounts_urls.urlpatterns if getattr(p, "name", None)}
_stubs: dict[str, list] = {"accounts": [], "credits": []}
for item in _items():
    # A stub only where the real page does not exist yet.
    if item.url_name in STUB_PATHS and item.url_name not in _real:
        namespace, name = item.url_name.split(":")
        _stubs[namespace].append(path(STUB_PATHS[item.url_name], _stub(item.action), name=name))

urlpatterns = [
    path("admin/", admin.site.urls),
    *language_urlpatterns,
    path("", include(([*accounts_urls.urlpatterns, *_stubs["accounts"]], "accounts"))),
    path("", include((_stubs["credits"], "credits"))),
]
