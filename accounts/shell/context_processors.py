from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.permissions import actions_for
from accounts.shell.navigation import navigation_for


def console(request: HttpRequest) -> dict:
    """The shell's navigation and what the signed-in admin may do, computed lazily."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.tenant_id is None:
        return {}
    return {
        "console_nav": SimpleLazyObject(lambda: navigation_for(user, request.path)),
        "can": SimpleLazyObject(lambda: dict.fromkeys(actions_for(user.admin_roles), True)),
    }
