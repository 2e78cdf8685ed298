"""Message center: every notification sent to the tenant's admins, newest first, each
written in the viewer's language (``credits.notifications.renderers``)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts.permissions import Action
from accounts.shell.access import console_view
from accounts.shell.rendering import render_page
from credits.notifications.models import Notification
from credits.notifications.selectors import notification_row

PAGE_SIZE = 25


@require_GET
@console_view(Action.VIEW_MESSAGE_CENTER)
def message_center(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.for_tenant(request.tenant).order_by("-created_at", "-id")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for notification in page.object_list:
        notification.tenant = request.tenant  # one tenant: no query per row
        rows.append(notification_row(notification))
    context = {
        "page_obj": page,
        "notifications": rows,
        "query_without_page": "",
    }
    return render_page(request, "credits/notifications/message_center.html", "messages", context)
