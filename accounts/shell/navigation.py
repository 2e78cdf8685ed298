"""The left navigation of the admin-center shell (DESIGN §5), defined once.

An entry is shown only when its page exists (its URL name resolves) and the signed-in
admin's roles allow its action, so later pages appear by adding their URL, and the
navigation never leads to a dead end or a 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Action


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    action: str = Action.USE_CONSOLE
    icon: str = ""


@dataclass(frozen=True)
class NavGroup:
    label: str | Promise
    icon: str
    items: tuple[NavItem, ...] = field(default_factory=tuple)


NAVIGATION: tuple[NavItem | NavGroup, ...] = (
    NavItem(_("Home"), "accounts:home", icon="house-door"),
    NavGroup(
        _("Users"),
        "person",
        (NavItem(_("Active users"), "accounts:active_users", Action.VIEW_USERS),),
    ),
    NavGroup(
        _("Billing"),
        "credit-card",
        (
            NavItem(_("Purchase services"), "credits:purchase_services", Action.VIEW_BILLING),
            NavItem(_("Your products"), "credits:products", Action.VIEW_BILLING),
            NavItem(_("Bills & payments"), "credits:bills", Action.VIEW_BILLING),
            NavItem(_("Payment methods"), "credits:payment_methods", Action.VIEW_BILLING),
            NavItem(_("Rates"), "credits:rates", Action.VIEW_BILLING),
        ),
    ),
    NavGroup(
        _("Reports"),
        "bar-chart",
        (
            NavItem(_("PSTN usage"), "credits:pstn_usage", Action.VIEW_USAGE_REPORTS),
            NavItem(_("Minute pools"), "credits:minute_pools", Action.VIEW_USAGE_REPORTS),
        ),
    ),
    NavItem(
        _("Message center"), "credits:message_center", Action.VIEW_MESSAGE_CENTER, icon="megaphone"
    ),
)


def _url(item: NavItem) -> str | None:
    try:
        return reverse(item.url_name)
    except NoReverseMatch:
        return None


def _entry(item: NavItem, user, current_path: str) -> dict | None:
    url = _url(item)
    if url is None or not user.has_action(item.action):
        return None
    home = url == "/"
    active = current_path == url if home else current_path.startswith(url)
    return {"label": item.label, "url": url, "icon": item.icon, "active": active}


def navigation_for(user, current_path: str) -> list[dict]:
    """The entries this admin sees, as plain dicts for the template."""
    entries: list[dict] = []
    for node in NAVIGATION:
        if isinstance(node, NavItem):
            entry = _entry(node, user, current_path)
            if entry:
                entries.append(entry)
            continue
        children = [e for e in (_entry(i, user, current_path) for i in node.items) if e]
        if children:
            entries.append(
                {
                    "label": node.label,
                    "icon": node.icon,
                    "children": children,
                    "active": any(c["active"] for c in children),
                    "id": f"nav-{node.icon}",
                }
            )
    return entries
