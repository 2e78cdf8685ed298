"""Support > Service requests: the list, a simple form to open one, and each request.

Every admin sees the organization's requests; the read-only roles (Global Reader,
Reports Reader) cannot open new ones. A refusal elsewhere (an Enterprise Agreement
billed in another region) links here with the topic, title and description filled in.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.exceptions import AccountsError
from accounts.forms import ServiceRequestForm
from accounts.models import ServiceRequest, ServiceRequestTopic
from accounts.permissions import Action
from accounts.services import service_request_create
from accounts.shell.access import console_view, get_tenant_object_or_404

PAGE_SIZE = 25


def _prefill(request: HttpRequest) -> dict[str, str]:
    """Initial values from the link that sent the admin here (topic, title, description)."""
    initial = {}
    topic = request.GET.get("topic", "")
    if topic in ServiceRequestTopic.values:
        initial["topic"] = topic
    for name, limit in (("title", 200), ("description", 4000)):
        value = request.GET.get(name, "").strip()
        if value:
            initial[name] = value[:limit]
    return initial


@require_http_methods(["GET", "POST"])
@console_view()
def service_requests(request: HttpRequest) -> HttpResponse:
    can_open = request.user.has_action(Action.OPEN_SERVICE_REQUESTS)
    form = None
    if request.method == "POST":
        if not can_open:
            raise PermissionDenied
        form = ServiceRequestForm(request.POST)
        if form.is_valid():
            try:
                opened = service_request_create(
                    tenant=request.tenant, acting_user=request.user, **form.cleaned_data
                )
            except AccountsError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("Service request %(number)s was opened. The support team will contact you.")
                    % {"number": opened.number},
                )
                return redirect("accounts:service_request_detail", pk=opened.pk)
    elif can_open:
        form = ServiceRequestForm(initial=_prefill(request))
    requests = ServiceRequest.objects.for_tenant(request.tenant).select_related("created_by")
    page_obj = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page_obj,
        "service_requests": page_obj.object_list,
        "query_without_page": "",
    }
    return render(request, "accounts/support_requests.html", context)


@require_GET
@console_view()
def service_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = get_tenant_object_or_404(
        request, ServiceRequest.objects.select_related("created_by"), pk=pk
    )
    return render(
        request, "accounts/support_request_detail.html", {"service_request": service_request}
    )
