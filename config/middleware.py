"""Response headers every page gets (README, "Exports and headers").

- ``Permissions-Policy``: the console uses no camera, microphone, location, USB or
  payment request API; no page (nor a frame it might be put in) may ask for them.
- ``Cache-Control: no-store`` on the pages and files that hold billing or usage data:
  the billing pages (orders, bills, invoices, payment methods, the rates), the usage
  exports, the usage API, and any download (``Content-Disposition: attachment``), so a
  shared computer's browser cache or a proxy keeps no copy.

``Content-Security-Policy`` comes from django-csp (``CONTENT_SECURITY_POLICY`` in
settings) and ``Referrer-Policy`` from Django's ``SECURE_REFERRER_POLICY``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        if request.path.startswith(tuple(settings.NO_STORE_PATH_PREFIXES)) or response.get(
            "Content-Disposition", ""
        ).startswith("attachment"):
            add_never_cache_headers(response)
        return response
