"""Reads of the notifications: a Message center row, written in the active language."""

from __future__ import annotations

from dataclasses import dataclass

from credits.notifications.choices import DeliveryStatus
from credits.notifications.models import Notification
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
