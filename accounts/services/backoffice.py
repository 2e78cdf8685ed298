"""The audit trail of the backoffice (``/admin/``): every change platform staff make
there is recorded as an ``AuditEvent`` in the transaction of the change, with the staff
user as the actor, the tenant concerned (when there is one), the object changed and its
changed fields before → after.

Actions: ``backoffice.add``, ``backoffice.change`` and ``backoffice.delete``. Changes
that go through a service (a usage location, an admin role, money) are audited by that
service under its own action instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.text import capfirst

from accounts.models import AuditEvent, Tenant, User
from accounts.services.audit import audit_record

BACKOFFICE_ADD = "backoffice.add"
BACKOFFICE_CHANGE = "backoffice.change"
BACKOFFICE_DELETE = "backoffice.delete"

# Never written to the audit log, only the fact that they changed.
SECRET_FIELDS = frozenset({"password"})
SECRET_BEFORE = "(hidden)"
SECRET_AFTER = "(changed)"


def audit_value(value: Any) -> Any:
    """A field's value as the audit log keeps it (JSON): related objects by their name."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Iterable):
        return sorted(audit_value(item) for item in value)
    return str(value)


def field_values(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """The audit values of ``obj``'s fields ``names`` (many-to-many ones need a saved obj)."""
    values: dict[str, Any] = {}
    for name in names:
        field = obj._meta.get_field(name)
        if name in SECRET_FIELDS:
            values[name] = SECRET_BEFORE
        elif field.many_to_many:
            values[name] = audit_value(getattr(obj, name).all()) if obj.pk else []
        elif field.is_relation:
            values[name] = audit_value(getattr(obj, name))
        else:
            value = field.value_from_object(obj)
            if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
                # As stored: the form's 0.21 and the column's 0.2100 are one value.
                value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
            values[name] = audit_value(value)
    return values


def audited_field_names(model: type[models.Model], names: Iterable[str]) -> list[str]:
    """Those of ``names`` that are fields of ``model`` (a form also has other fields)."""
    fields = {
        f.name for f in model._meta.get_fields()
        if (f.concrete or f.many_to_many) and not f.auto_created
    }
    return [name for name in names if name in fields]


def editable_field_names(model: type[models.Model]) -> list[str]:
    """The fields a deleted object is remembered by (its editable columns, no secrets)."""
    return [
        f.name for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in SECRET_FIELDS
    ]


def audit_target(obj: models.Model) -> str:
    """How the audit log names an object: ``Tenant #3 · Contoso``."""
    return f"{capfirst(obj._meta.verbose_name)} #{obj.pk} · {obj}"


def audit_tenant_of(obj: models.Model) -> Tenant | None:
    """The tenant an object belongs to: itself, its ``tenant``, its user's or its
    account's tenant; None for platform objects (products, rates)."""
    if isinstance(obj, Tenant):
        return obj
    tenant = getattr(obj, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    for owner in ("user", "account"):
        related = getattr(obj, owner, None)
        tenant = getattr(related, "tenant", None)
        if isinstance(tenant, Tenant):
            return tenant
    return None


def backoffice_audit(
    *,
    actor: User,
    action: str,
    target: str,
    tenant: Tenant | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Record one backoffice change (call it inside the change's transaction).

    A change keeps only the fields whose value differs; a change that changed nothing
    is not recorded (returns None).
    """
    before, after = dict(before or {}), dict(after or {})
    if action == BACKOFFICE_CHANGE:
        changed = [
            name for name in after
            if name in SECRET_FIELDS or before.get(name) != after[name]
        ]
        before = {name: before.get(name) for name in changed}
        after = {name: after[name] for name in changed}
        for name in SECRET_FIELDS & set(changed):
            before[name], after[name] = SECRET_BEFORE, SECRET_AFTER
        if not changed:
            return None
    return audit_record(
        tenant=tenant, actor=actor, action=action, target=target, before=before, after=after
    )
