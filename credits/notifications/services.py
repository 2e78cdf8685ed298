"""Notifications to a tenant's admins holding a notified role (README, "Auto-recharge,
emails and the Message center"): recorded once per event (``dedupe_key``) and sent by a
background task after the commit."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Tenant, User
from accounts.permissions import NOTIFIED_ROLES
from credits.common.jobs import enqueue_after_commit
from credits.notifications.choices import DeliveryStatus
from credits.notifications.models import Notification

log = logging.getLogger(__name__)


def notified_admins(tenant: Tenant) -> list[User]:
    return list(
        User.objects.filter(
            tenant=tenant, is_active=True, role_assignments__role__in=NOTIFIED_ROLES
        )
        .distinct()
        .order_by("display_name", "pk")
    )


def subscription_url() -> str:
    return settings.CONSOLE_BASE_URL.rstrip("/") + reverse("credits:credits_subscription")


def notification_create(
    *, tenant: Tenant, kind: str, dedupe_key: str, subject: str, lines: list[str]
) -> Notification | None:
    """Record the notification once per ``dedupe_key`` and send it after the commit.
    Returns ``None`` when this event was already notified."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                tenant=tenant, kind=kind, dedupe_key=dedupe_key, subject=subject,
                context={"lines": lines},
                recipients=[
                    {"email": user.username, "name": user.display_name,
                     "status": DeliveryStatus.PENDING}
                    for user in notified_admins(tenant)
                ],
            )
    except IntegrityError:
        return None
    enqueue_after_commit("notification_send_task", notification_id=notification.pk)
    return notification


def notification_send(*, notification_id: int) -> Notification:
    """Send one message per recipient, HTML and text; record each delivery status."""
    notification = Notification.objects.select_related("tenant").get(pk=notification_id)
    if notification.status == DeliveryStatus.SENT:
        return notification
    context = {
        "tenant_name": notification.tenant.name,
        "subject": notification.subject,
        "lines": notification.context.get("lines", []),
        "subscription_url": subscription_url(),
    }
    failed = []
    connection = get_connection()
    recipients = []
    for recipient in notification.recipients:
        if recipient.get("status") == DeliveryStatus.SENT:
            recipients.append(recipient)
            continue
        personal = {**context, "name": recipient["name"]}
        message = EmailMultiAlternatives(
            subject=f"{notification.subject} · {notification.tenant.name}",
            body=render_to_string("emails/notification.txt", personal),
            to=[recipient["email"]],
            connection=connection,
        )
        message.attach_alternative(
            render_to_string("emails/notification.html", personal),
            "text/html",
        )
        try:
            message.send()
            recipients.append({**recipient, "status": DeliveryStatus.SENT})
        except Exception as error:  # noqa: BLE001 - any SMTP failure is recorded
            log.warning("Notification %s to %s failed: %s", notification.pk, recipient["email"],
                        error)
            failed.append(str(error))
            recipients.append({**recipient, "status": DeliveryStatus.FAILED})
    notification.recipients = recipients
    notification.status = DeliveryStatus.FAILED if failed else DeliveryStatus.SENT
    notification.error = "; ".join(failed)[:500]
    notification.sent_at = timezone.now()
    notification.save(update_fields=["recipients", "status", "error", "sent_at"])
    return notification


RETRY_WITHIN = timedelta(days=3)
LOST_AFTER = timedelta(hours=1)


def notifications_retry(*, at: datetime | None = None) -> int:
    """Send again the notifications of the last days that failed (an SMTP server down)
    or were never sent (their task was lost): only the recipients not reached yet get
    the message. Returns how many notifications were tried."""
    now = at or timezone.now()
    due = Notification.objects.filter(created_at__gte=now - RETRY_WITHIN).filter(
        Q(status=DeliveryStatus.FAILED)
        | Q(status=DeliveryStatus.PENDING, created_at__lt=now - LOST_AFTER)
    )
    tried = 0
    for pk in list(due.order_by("pk").values_list("pk", flat=True)):
        notification_send(notification_id=pk)
        tried += 1
    return tried
