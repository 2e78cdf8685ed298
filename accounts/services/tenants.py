"""Tenant change guards: rules of other apps about changing a tenant's fields.

The accounts app doesn't know the apps built on it, so an app whose data depends on a
tenant's field (the credits ledger keeps every amount in the tenant's currency)
registers a guard in its ``console`` module. A guard receives the tenant as it is and
the proposed changes (``{field: (old, new)}``) and returns why it refuses them, or None.
The backoffice's tenant form answers with every refusal as a form error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction

from accounts.models import Tenant

TenantChanges = Mapping[str, tuple[Any, Any]]
TenantChangeGuard = Callable[[Tenant, TenantChanges], "str | None"]

_GUARDS: list[TenantChangeGuard] = []


def tenant_change_guard_register(guard: TenantChangeGuard) -> TenantChangeGuard:
    """Register ``guard`` (once; registering it again changes nothing). Returns it, so it
    can decorate the function."""
    if guard not in _GUARDS:
        _GUARDS.append(guard)
    return guard


def tenant_change_refusals(*, tenant: Tenant, changes: TenantChanges) -> list[str]:
    """Why the registered guards refuse ``changes`` to ``tenant``; empty when none does.

    Inside the caller's transaction (the backoffice's change form) the tenant's row lock
    is held from here on, so an order or an import can't slip in between this check and
    the save: they take the same lock.
    """
    changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
    if tenant.pk is None or not changes:
        return []
    with transaction.atomic():
        Tenant.objects.lock(tenant)
        refusals = [guard(tenant, changes) for guard in _GUARDS]
    return [message for message in refusals if message]
