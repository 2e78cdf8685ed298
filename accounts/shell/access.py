"""The one access helper for console views.

* Anyone not signed in is sent to the sign-in page.
* Platform staff (no tenant) are sent to the backoffice: the console is for tenant admins.
* A role without the permission gets 403.
* Another tenant's object is 404, whatever the role: outsiders learn nothing.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import redirect

from accounts.permissions import Action


def console_view(action: str = Action.USE_CONSOLE):
    """Decorate a view that needs a signed-in tenant admin allowed to do ``action``.

    The view gets ``request.tenant`` set to the admin's tenant.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.tenant_id is None:
                if user.is_staff:
                    return redirect("admin:index")
                raise PermissionDenied
            if not user.has_action(Action.USE_CONSOLE) or not user.has_action(action):
                raise PermissionDenied
            request.tenant = user.tenant
            return view(request, *args, **kwargs)

        wrapper.console_action = action
        return wrapper

    return decorator


def get_tenant_object_or_404(
    request: HttpRequest, queryset: QuerySet | type[Model], *, action: str | None = None, **lookup
) -> Model:
    """Fetch one object of the signed-in admin's tenant.

    404 when it does not exist or belongs to another tenant (checked first, so an
    outsider cannot probe); 403 when the admin's roles do not allow ``action``.
    The queryset's model must offer ``.for_tenant(tenant)``.
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    tenant = getattr(request, "tenant", None) or request.user.tenant
    if tenant is None:
        raise Http404
    try:
        obj = queryset.for_tenant(tenant).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None
    if action is not None and not request.user.has_action(action):
        raise PermissionDenied
    return obj
