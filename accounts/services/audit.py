"""The audit trail: services call these inside the transaction of the change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from accounts.models import AuditEvent, Tenant, User


def audit_record(
    *,
    tenant: Tenant | None,
    actor: User | None,
    action: str,
    target: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event; call it inside the transaction of the change it records."""
    return AuditEvent.objects.create(
        tenant=tenant,
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target=target[:300],
        before=before or {},
        after=after or {},
    )


def audit_record_many(
    *,
    tenant: Tenant | None,
    actor: User | None,
    action: str,
    entries: Iterable[tuple[str, dict[str, Any], dict[str, Any]]],
) -> list[AuditEvent]:
    """Append one event per ``(target, before, after)`` in one query (bulk changes)."""
    actor = actor if actor is not None and actor.pk else None
    now = timezone.now()
    return AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                tenant=tenant,
                actor=actor,
                action=action,
                target=target[:300],
                before=before or {},
                after=after or {},
                created_at=now,
            )
            for target, before, after in entries
        ],
        batch_size=1000,
    )
