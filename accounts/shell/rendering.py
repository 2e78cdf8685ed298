"""How console views answer, htmx or not: one helper each, for every app.

- ``render_page``: a page is one template with named partials (django-template-partials);
  an htmx request gets only the partial it swaps, every other request (and htmx's
  history restore) the whole page. The answer varies on ``HX-Request`` so caches keep the
  two apart.
- ``changed``: tells the page (an htmx event) that something it shows has changed.
- ``go``: a redirect that an htmx request follows as a whole page at the new address.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event


def is_partial_request(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (not a history restore)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page(
    request: HttpRequest,
    template_name: str,
    partial: str | None,
    context: dict,
    *,
    status: int = 200,
) -> HttpResponse:
    """The page, or its partial ``partial`` for an htmx request (``None``: always the
    whole page)."""
    if partial and is_partial_request(request):
        template_name = f"{template_name}#{partial}"
    response = render(request, template_name, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def changed(response: HttpResponse, event: str) -> HttpResponse:
    """Trigger the htmx ``event`` on the page with the response."""
    return trigger_client_event(response, event)


def go(request: HttpRequest, url_name: str, *args) -> HttpResponse:
    """Redirect; an htmx request gets the whole page at the new address."""
    url = reverse(url_name, args=args)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)
