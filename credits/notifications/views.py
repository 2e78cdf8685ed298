"""Message center: every notification sent to the tenant's admins, newest first, each
written in the viewer's language (``credits.notifications.renderers``); Billing
notifications: who gets the billing emails beyond the notified roles
(``credits.notifications.preferences``), and each admin's own choice of emails."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import Action
from accounts.shell.access import console_view
from accounts.shell.rendering import render_page
from credits.exceptions import NotificationSettingsInvalid
from credits.notifications.choices import (
    CRITICAL_KINDS,
    MAX_EXTRA_ADDRESSES,
    OPTIONAL_KINDS,
    NotificationKind,
)
from credits.notifications.forms import BillingRecipientsForm, NotificationOptOutsForm
from credits.notifications.models import Notification
from credits.notifications.preferences import (
    billing_recipients_update,
    notification_opt_outs_update,
)
from credits.notifications.selectors import (
    billing_recipients_of,
    notification_row,
    notified_role_admins,
    opt_outs_of,
    other_admins,
)

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


def _form_errors(form, error: NotificationSettingsInvalid) -> None:
    for field, message in error.errors.items():
        form.add_error(field if field in form.fields else None, message)


@require_http_methods(["GET", "POST"])
@console_view(Action.VIEW_BILLING)
def billing_notifications(request: HttpRequest) -> HttpResponse:
    """Billing > Billing notifications: the admins holding a notified role (always
    emailed), the other admins chosen and up to 5 extra addresses. Global Readers see it
    without the form's Save; only billing managers may change it."""
    tenant = request.tenant
    can_manage = request.user.has_action(Action.MANAGE_BILLING)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    chosen = billing_recipients_of(tenant)
    candidates = list(other_admins(tenant))
    form = BillingRecipientsForm(
        request.POST if request.method == "POST" else None, admins=candidates,
        initial={"admins": sorted(chosen.admin_ids), "addresses": "\n".join(chosen.addresses)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = billing_recipients_update(
                tenant=tenant, acting_user=request.user,
                admin_ids=form.cleaned_data["admins"], addresses=form.cleaned_data["addresses"],
            )
        except NotificationSettingsInvalid as error:
            _form_errors(form, error)
        else:
            messages.success(
                request, _("Billing email recipients saved.") if saved else _("Nothing changed.")
            )
            return redirect("credits:billing_notifications")
    context = {
        "form": form,
        "can_manage": can_manage,
        "notified": list(notified_role_admins(tenant)),
        "chosen_admins": [user for user in candidates if user.pk in chosen.admin_ids],
        "addresses": chosen.addresses,
        "max_addresses": MAX_EXTRA_ADDRESSES,
        "critical": [NotificationKind(kind).label for kind in NotificationKind.values
                     if kind in CRITICAL_KINDS],
    }
    return render_page(request, "credits/notifications/billing_notifications.html", None, context)


@require_http_methods(["GET", "POST"])
@console_view(Action.VIEW_MESSAGE_CENTER)
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """Your billing emails: the kinds this admin receives; the critical ones are always
    sent and shown without a checkbox."""
    opted_out = opt_outs_of(request.user)
    form = NotificationOptOutsForm(
        request.POST if request.method == "POST" else None,
        initial={"receive": [kind for kind in OPTIONAL_KINDS if kind not in opted_out]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = notification_opt_outs_update(user=request.user, kinds=form.opted_out)
        except NotificationSettingsInvalid as error:
            _form_errors(form, error)
        else:
            messages.success(
                request, _("Your email choices are saved.") if saved else _("Nothing changed.")
            )
            return redirect("credits:notification_preferences")
    context = {
        "form": form,
        "critical": [NotificationKind(kind).label for kind in NotificationKind.values
                     if kind in CRITICAL_KINDS],
        "can_view_billing": request.user.has_action(Action.VIEW_BILLING),
    }
    return render_page(
        request, "credits/notifications/notification_preferences.html", None, context
    )
