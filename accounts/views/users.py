"""Users > Active users: the list, the user panel, bulk licenses, add and import users.

Every view is a thin function: bind a form, call one service, then redirect (or, for an
htmx request, render the page's partial). The panels open in the flyout through htmx and
are full pages without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.exceptions import AccountsError, LicenseError, UsersImportError
from accounts.forms import (
    BulkLicensesForm,
    LicensesForm,
    UsageLocationForm,
    UserCreateForm,
    UserListForm,
    UsersImportForm,
)
from accounts.models import AdminRole, Product, User
from accounts.permissions import Action
from accounts.selectors import license_availability, users_for_tenant, users_list
from accounts.services import (
    licenses_bulk_update,
    user_create,
    user_set_usage_location,
    users_import,
)
from accounts.services.user_import import COLUMNS
from accounts.shell.access import console_view, get_tenant_object_or_404
from accounts.shell.listing import query_with, sort_headers
from accounts.shell.rendering import changed, render_page

PAGE_SIZE = 50
MAX_BULK_USERS = 1_000
TABS = ("account", "licenses")
USERS_CHANGED = "users-changed"  # htmx event: the list refreshes its table
SORTABLE = ("display_name", "username", "usage_location")


BULK_TEMPLATE = "accounts/users_bulk_licenses.html"
IMPORT_TEMPLATE = "accounts/users_import.html"


def _changed(response: HttpResponse) -> HttpResponse:
    return changed(response, USERS_CHANGED)


# The list ----------------------------------------------------------------------------


@require_GET
@console_view(Action.VIEW_USERS)
def active_users(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    availability = license_availability(tenant=tenant)
    form = UserListForm(request.GET or None, availability=availability)
    if form.is_bound:
        form.is_valid()
    sort = form.value("sort") or "display_name"
    users = users_list(
        tenant=tenant, search=form.value("q"), filter_by=form.value("filter"), sort=sort
    )
    page_obj = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    query = query_with(request)
    context = {
        "form": form,
        "availability": availability,
        "page_obj": page_obj,
        "users": page_obj.object_list,
        "sort": sort,
        "sort_headers": sort_headers(request, sort, SORTABLE),
        "query_without_page": f"{query}&" if query else "",
        "filtered": bool(form.value("q") or form.value("filter")),
    }
    return render_page(request, "accounts/users_list.html", "users-table", context)


# The user panel ----------------------------------------------------------------------


def _panel_user(request: HttpRequest, pk: int, *, action: str | None = None) -> User:
    return get_tenant_object_or_404(
        request, users_for_tenant(tenant=request.tenant), action=action, pk=pk
    )


def _license_rows(availability, *, checked: set[str]) -> list[dict]:
    return [
        {"row": row, "code": row.product.code, "checked": row.product.code in checked}
        for row in availability
    ]


def _render_panel(
    request: HttpRequest,
    user: User,
    *,
    tab: str,
    licenses_form: LicensesForm | None = None,
    location_form: UsageLocationForm | None = None,
    error: AccountsError | None = None,
    notice: str = "",
) -> HttpResponse:
    can_manage = request.user.has_action(Action.MANAGE_LICENSES)
    availability = license_availability(tenant=request.tenant)
    held = {assignment.product.code for assignment in user.licenses.all()}
    if licenses_form is not None and licenses_form.is_bound:
        checked = set(licenses_form.data.getlist("products"))
    else:
        checked = held
    context = {
        "subject": user,
        "tab": tab,
        "held": [a.product for a in user.licenses.all()],
        "license_rows": _license_rows(availability, checked=checked),
        "licenses_form": licenses_form or LicensesForm(availability=availability),
        "location_form": location_form
        or UsageLocationForm(initial={"usage_location": user.usage_location}),
        "error": error,
        "notice": notice,
        "can_manage": can_manage,
        "read_only": not can_manage,
        "roles": [AdminRole(role).label for role in sorted(user.admin_roles)],
        "initials": "".join(word[:1] for word in user.display_name.split()[:2]).upper(),
    }
    return render_page(request, "accounts/users_detail.html", "user-panel", context)


def _tab(value: str | None) -> str:
    return value if value in TABS else "account"


@require_GET
@console_view(Action.VIEW_USERS)
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _panel_user(request, pk)
    return _render_panel(request, user, tab=_tab(request.GET.get("tab")))


def _after_panel_change(request: HttpRequest, pk: int, *, tab: str, notice: str) -> HttpResponse:
    if request.htmx:
        user = _panel_user(request, pk)
        return _changed(_render_panel(request, user, tab=tab, notice=notice))
    messages.success(request, notice)
    return redirect(f"{reverse('accounts:user_detail', args=[pk])}?tab={tab}")


@require_POST
@console_view(Action.VIEW_USERS)
def user_licenses(request: HttpRequest, pk: int) -> HttpResponse:
    user = _panel_user(request, pk, action=Action.MANAGE_LICENSES)
    availability = license_availability(tenant=request.tenant)
    form = LicensesForm(request.POST, availability=availability)
    if not form.is_valid():
        return _render_panel(request, user, tab="licenses", licenses_form=form)
    selected = {product.pk for product in form.selected_products()}
    held = {assignment.product_id for assignment in user.licenses.all()}
    products = [row.product for row in availability]
    try:
        changes = licenses_bulk_update(
            tenant=request.tenant,
            users=[user],
            assign=[p for p in products if p.pk in selected and p.pk not in held],
            unassign=[p for p in products if p.pk in held and p.pk not in selected],
            acting_user=request.user,
        )
    except LicenseError as error:
        return _render_panel(request, user, tab="licenses", licenses_form=form, error=error)
    if changes.changed:
        notice = _("Licenses updated for %(user)s.") % {"user": user}
    else:
        notice = _("No changes to save for %(user)s.") % {"user": user}
    return _after_panel_change(request, pk, tab="licenses", notice=notice)


@require_POST
@console_view(Action.VIEW_USERS)
def user_usage_location(request: HttpRequest, pk: int) -> HttpResponse:
    user = _panel_user(request, pk, action=Action.MANAGE_LICENSES)
    form = UsageLocationForm(request.POST)
    if not form.is_valid():
        return _render_panel(request, user, tab="account", location_form=form)
    try:
        user_set_usage_location(
            user=user,
            usage_location=form.cleaned_data["usage_location"],
            acting_user=request.user,
        )
    except AccountsError as error:
        return _render_panel(request, user, tab="account", location_form=form, error=error)
    notice = _("Usage location of %(user)s set to %(country)s.") % {
        "user": user,
        "country": user.usage_location_name,
    }
    return _after_panel_change(request, pk, tab="account", notice=notice)


# Bulk licenses -----------------------------------------------------------------------


class _TooManySelected(Exception):
    pass


def _selected_users(request: HttpRequest, values: list[str]) -> list[User]:
    """The selected users of the admin's tenant; 404 if any id is not one of them."""
    ids = set()
    for value in values:
        # Plain ASCII digits, small enough for any database's id column.
        if not (value.isascii() and value.isdigit() and 0 < int(value) < 2**63):
            raise Http404
        ids.add(int(value))
    if len(ids) > MAX_BULK_USERS:
        raise _TooManySelected
    users = list(
        User.objects.for_tenant(request.tenant).filter(pk__in=ids).order_by("display_name", "pk")
    )
    if len(users) != len(ids):
        raise Http404
    return users


@require_http_methods(["GET", "POST"])
@console_view(Action.VIEW_USERS)
def users_bulk_licenses(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    availability = license_availability(tenant=request.tenant)
    context = {
        "users": [],
        "error": None,
        "problem": "",
        "done": "",
    }
    try:
        users = _selected_users(request, data.getlist("user"))
    except _TooManySelected:
        users = None
        context["problem"] = ngettext(
            "Select at most %(limit)s user at a time. To change more, use the "
            "assign_licenses command.",
            "Select at most %(limit)s users at a time. To change more, use the "
            "assign_licenses command.",
            MAX_BULK_USERS,
        ) % {"limit": f"{MAX_BULK_USERS:,}"}
    if not request.user.has_action(Action.MANAGE_LICENSES):
        raise PermissionDenied
    if users is not None and not users:
        context["problem"] = _(
            "Select one or more users on Active users, then choose Manage product licenses."
        )
    form = BulkLicensesForm(
        request.POST if request.method == "POST" else None, availability=availability
    )
    context.update({"users": users or [], "form": form})
    checked: set[str] = set()
    if request.method == "POST" and users and form.is_valid():
        assign_more = form.cleaned_data["operation"] == BulkLicensesForm.ASSIGN
        try:
            changes = licenses_bulk_update(
                tenant=request.tenant,
                users=users,
                assign=form.selected_products() if assign_more else [],
                # Unassign all: every product, subscribed to or not (the catalog is small).
                unassign=[] if assign_more else list(Product.objects.all()),
                acting_user=request.user,
            )
        except LicenseError as error:
            context["error"] = error
        else:
            done = _bulk_summary(changes, users=users, assigned=assign_more, form=form)
            if not request.htmx:
                messages.success(request, done)
                return redirect("accounts:active_users")
            context["done"] = done
            return _changed(render_page(request, BULK_TEMPLATE, "bulk-panel", context))
    if form.is_bound:
        checked = set(form.data.getlist("products"))
    context["license_rows"] = _license_rows(availability, checked=checked)
    # A refusal is still answered 200: htmx swaps only successful responses into the flyout.
    return render_page(request, BULK_TEMPLATE, "bulk-panel", context)


def _bulk_summary(changes, *, users, assigned: bool, form: BulkLicensesForm) -> str:
    count = len(users)
    if assigned:
        names = ", ".join(p.name for p in form.selected_products())
        return ngettext(
            "%(products)s assigned to %(count)d user (%(new)d new licenses).",
            "%(products)s assigned to %(count)d users (%(new)d new licenses).",
            count,
        ) % {"products": names, "count": count, "new": changes.assigned}
    return ngettext(
        "All licenses removed from %(count)d user (%(removed)d licenses).",
        "All licenses removed from %(count)d users (%(removed)d licenses).",
        count,
    ) % {"count": count, "removed": changes.unassigned}


# Add and import users ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@console_view(Action.MANAGE_LICENSES)
def user_add(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "created": None}
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(tenant=request.tenant, acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        except AccountsError as error:
            form.add_error(None, error.message)
        else:
            notice = _("%(user)s was added. Assign licenses below.") % {"user": user}
            if not request.htmx:
                messages.success(request, notice)
                return redirect(f"{reverse('accounts:user_detail', args=[user.pk])}?tab=licenses")
            context["created"] = user
            return _changed(render_page(request, "accounts/users_add.html", "add-panel", context))
    return render_page(request, "accounts/users_add.html", "add-panel", context)


@require_http_methods(["GET", "POST"])
@console_view(Action.MANAGE_LICENSES)
def users_import_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = UsersImportForm(request.POST, request.FILES)
    else:
        form = UsersImportForm()
    context = {"form": form, "import_error": None, "imported": None, "columns": COLUMNS}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = users_import(
                tenant=request.tenant, content=upload.read(), acting_user=request.user
            )
        except UsersImportError as error:
            context["import_error"] = error
        else:
            notice = ngettext(
                "%(count)d user imported.", "%(count)d users imported.", result.count
            ) % {"count": result.count}
            if not request.htmx:
                messages.success(request, notice)
                return redirect("accounts:active_users")
            context["imported"] = notice
            return _changed(render_page(request, IMPORT_TEMPLATE, "import-panel", context))
    return render_page(request, IMPORT_TEMPLATE, "import-panel", context)


SAMPLE_CSV = (
    "display name,username,usage location,department,job title\r\n"
    "Megan Bowen,megan.bowen@contoso.example,US,Marketing,Marketing Manager\r\n"
    "Alex Wilber,alex.wilber@contoso.example,GB,Sales,Account Executive\r\n"
)


@require_GET
@console_view(Action.MANAGE_LICENSES)
def users_import_sample(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(SAMPLE_CSV, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="users-sample.csv"'
    return response
