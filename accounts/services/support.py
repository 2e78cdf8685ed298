"""Service requests: an admin asks the support team for help (e.g. an EA's region)."""

from __future__ import annotations

from django.db import transaction

from accounts.exceptions import AccountsError
from accounts.models import ServiceRequest, ServiceRequestTopic, Tenant, User
from accounts.services.audit import audit_record


def service_request_create(
    *, tenant: Tenant, acting_user: User, topic: str, title: str, description: str
) -> ServiceRequest:
    """Open a service request for the tenant; audited in the same transaction."""
    title, description = (title or "").strip(), (description or "").strip()
    if topic not in ServiceRequestTopic.values:
        raise AccountsError(f"Unknown service request topic {topic!r}.")
    if not title or not description:
        raise AccountsError("A service request needs a title and a description.")
    if acting_user.tenant_id != tenant.pk:
        raise AccountsError("Only an admin of the organization can open its service requests.")
    with transaction.atomic():
        request = ServiceRequest.objects.create(
            tenant=tenant,
            topic=topic,
            title=title[:200],
            description=description[:4000],
            created_by=acting_user,
        )
        audit_record(
            tenant=tenant,
            actor=acting_user,
            action="accounts.service_request_create",
            target=f"Service request {request.number}",
            after={"topic": topic, "title": request.title, "status": request.status},
        )
    return request
