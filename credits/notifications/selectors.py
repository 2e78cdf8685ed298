"""Reads of the notifications: a Message center row, written in the active language."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import Tenant, User
from accounts.permissions import NOTIFIED_ROLES
from credits.notifications.choices import DeliveryStatus
from credits.notifications.models import BillingRecipient, Notification, NotificationOptOut
from credits.notifications.renderers import Rendered, notification_render


@dataclass(frozen=True)
class NotificationRow:
    notification: Notification
    rendered: Rendered
    recipients: tuple[dict, ...]  # name, email, status, status_label


def _status_label(status: str) -> str:
    try:
        return str(DeliveryStatus(status).label)
    except ValueError:
        return status


def notification_row(notification: Notification) -> NotificationRow:
    """The notification as the Message center shows it, in the active language (the
    viewer's) and, for its dates, the active time zone (the tenant's)."""
    return NotificationRow(
        notification=notification,
        rendered=notification_render(notification),
        recipients=tuple(
            {**r, "status_label": _status_label(r.get("status", ""))}
            for r in notification.recipients
        ),
    )


@dataclass(frozen=True)
class BillingRecipients:
    """The tenant's billing email recipients beyond the notified roles."""

    admin_ids: frozenset[int]
    addresses: tuple[str, ...]


def billing_recipients_of(tenant: Tenant) -> BillingRecipients:
    """The chosen admins' ids and the extra addresses, in the order they were saved."""
    rows = list(
        BillingRecipient.objects.for_tenant(tenant).order_by("pk").values_list("user_id", "email")
    )
    return BillingRecipients(
        admin_ids=frozenset(user_id for user_id, _email in rows if user_id),
        addresses=tuple(email for user_id, email in rows if not user_id),
    )


def notified_role_admins(tenant: Tenant) -> QuerySet[User]:
    """The tenant's active admins holding a notified role: they always get the emails."""
    return (
        User.objects.filter(tenant=tenant, is_active=True,
                            role_assignments__role__in=NOTIFIED_ROLES)
        .distinct()
        .order_by("display_name", "pk")
    )


def other_admins(tenant: Tenant) -> QuerySet[User]:
    """The tenant's active admins without a notified role: those who may be chosen."""
    return (
        User.objects.filter(tenant=tenant, is_active=True).admins()
        .exclude(role_assignments__role__in=NOTIFIED_ROLES)
        .order_by("display_name", "pk")
    )


def opt_outs_of(user: User) -> frozenset[str]:
    """The kinds ``user`` no longer receives."""
    return frozenset(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True))
