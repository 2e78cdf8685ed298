"""Helpers for the backoffice tests: sign in as platform staff, read a page's form the way
a browser submits it, and change a few of its fields."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from tests.html_text import Node, parse

_NOT_SUBMITTED = {"submit", "button", "file", "image", "reset"}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(content: bytes, form_id: str) -> dict[str, list[str]]:
    """What the browser would post for the form ``form_id`` as the page shows it."""
    form: Node = parse(content).by_id(form_id)
    data: dict[str, list[str]] = {}
    for node in form.iter():
        name = node.attrs.get("name")
        if not name or "disabled" in node.attrs:
            continue
        if node.tag == "input":
            kind = node.attrs.get("type", "text")
            if kind in _NOT_SUBMITTED:
                continue
            if kind in {"checkbox", "radio"} and "checked" not in node.attrs:
                continue
            default = "on" if kind in {"checkbox", "radio"} else ""
            data.setdefault(name, []).append(node.attrs.get("value", default))
        elif node.tag == "select":
            options = node.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs]
            if not chosen and options and "multiple" not in node.attrs:
                chosen = options[:1]
            data.setdefault(name, []).extend(o.attrs.get("value", o.text) for o in chosen)
        elif node.tag == "textarea":
            text = "".join(c for c in node.children if isinstance(c, str))
            data.setdefault(name, []).append(text.removeprefix("\n"))
    return data


def change_post(client: Client, obj, changes: dict, *, unset: tuple[str, ...] = ()):
    """Open ``obj``'s change page, change ``changes`` (a checkbox: ``unset`` it), save."""
    url = admin_url(type(obj), "change", obj.pk)
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = form_data(page.content, f"{obj._meta.model_name}_form")
    for name in unset:
        data.pop(name, None)
    data.update({name: value if isinstance(value, list) else [value]
                 for name, value in changes.items()})
    return client.post(url, data)


def backoffice_events(action_prefix: str = "backoffice.") -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__startswith=action_prefix).order_by("id"))
