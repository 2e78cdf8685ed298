"""The left navigation of the admin-center shell, assembled from what the apps register.

Each app registers its entries and groups with ``nav_register`` in its ``console``
module (``accounts.console``, ``credits.console``; ``AccountsConfig.ready()`` imports
them). An entry is shown only when its page exists (its URL name resolves) and the
signed-in admin's roles allow its action, so the navigation never leads to a dead end
or a 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

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


_NODES: list[tuple[int, NavItem | NavGroup]] = []


def nav_register(node: NavItem | NavGroup, *, order: int) -> None:
    """Add an entry (or a group of entries) to the left navigation at ``order``
    (lower first). Each app registers its pages in its ``console`` module."""
    _NODES.append((order, node))
    _NODES.sort(key=lambda pair: pair[0])


def navigation_nodes() -> tuple[NavItem | NavGroup, ...]:
    """Every registered entry and group, in order."""
    return tuple(node for _order, node in _NODES)


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
    for node in navigation_nodes():
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
