"""Notifications to a tenant's admins holding a notified role (README, "Auto-recharge,
emails and the Message center"): recorded once per event (``dedupe_key``) with their kind
and parameters, and sent by a background task after the commit, each recipient's message
written then in their language (README, "Languages and time zones")."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Tenant, User
from accounts.permissions import NOTIFIED_ROLES
from accounts.shell.locale import user_language, zone_for
from credits.common.jobs import enqueue_after_commit
from credits.notifications.choices import CRITICAL_KINDS, DeliveryStatus
from credits.notifications.models import BillingRecipient, Notification, NotificationOptOut
from credits.notifications.renderers import notification_render, render
from credits.notifications.webhooks.events import notification_event_emit

log = logging.getLogger(__name__)


def notified_admins(tenant: Tenant) -> list[User]:
    return list(
        User.objects.filter(
            tenant=tenant, is_active=True, role_assignments__role__in=NOTIFIED_ROLES
        )
        .distinct()
        .order_by("display_name", "pk")
    )


def notification_recipients(tenant: Tenant, kind: str) -> list[dict]:
    """Who receives a notification of ``kind`` (README, "Billing notifications"): the
    admins holding a notified role and the admins chosen on the Billing notifications
    page, less those who opted out of ``kind`` (never of a critical kind), then the extra
    addresses not already among them. Three queries, whatever the number of admins."""
    admins = User.objects.filter(tenant=tenant, is_active=True).filter(
        Q(role_assignments__role__in=NOTIFIED_ROLES)
        | Q(billing_recipient_of__tenant=tenant, role_assignments__isnull=False)
    )
    if kind not in CRITICAL_KINDS:
        admins = admins.exclude(
            pk__in=NotificationOptOut.objects.filter(tenant=tenant, kind=kind).values("user_id")
        )
    recipients = [
        {"user_id": user.pk, "email": user.username, "name": user.display_name,
         "status": DeliveryStatus.PENDING}
        for user in admins.distinct().order_by("display_name", "pk")
    ]
    known = {r["email"].lower() for r in recipients}
    addresses = BillingRecipient.objects.filter(tenant=tenant, user__isnull=True)
    for email in addresses.order_by("pk").values_list("email", flat=True):
        if email.lower() not in known:
            known.add(email.lower())
            recipients.append({"user_id": None, "email": email, "name": email,
                               "status": DeliveryStatus.PENDING})
    return recipients


def subscription_url() -> str:
    return settings.CONSOLE_BASE_URL.rstrip("/") + reverse("credits:credits_subscription")


def notification_create(
    *, tenant: Tenant, kind: str, dedupe_key: str, params: dict
) -> Notification | None:
    """Record the notification once per ``dedupe_key`` and send it after the commit.
    ``params`` are what its kind's renderer writes the message from
    (``credits.notifications.renderers``), JSON-safe: amounts as strings with
    ``currency``, dates in ISO 8601. Returns ``None`` when this event was already
    notified."""
    with translation.override("en"):
        subject = render(kind=kind, params=params, country=tenant.country).subject
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                tenant=tenant, kind=kind, dedupe_key=dedupe_key, subject=subject,
                params=params,
                recipients=notification_recipients(tenant, kind),
            )
    except IntegrityError:
        return None
    enqueue_after_commit("notification_send_task", notification_id=notification.pk)
    # Its webhook event, if its kind is one (README, "Webhooks").
    notification_event_emit(tenant=tenant, kind=kind, dedupe_key=dedupe_key, params=params)
    return notification


def recipient_languages(notification: Notification) -> dict[str, str]:
    """Each recipient's language, by email, read when the message is sent: the admin's
    choice, else the console's default (an extra address, who has no account, gets the
    console's default)."""
    ids = [r["user_id"] for r in notification.recipients if r.get("user_id")]
    emails = [r["email"] for r in notification.recipients if not r.get("user_id")]
    users = User.objects.filter(
        Q(pk__in=ids) | Q(tenant_id=notification.tenant_id, username__in=emails)
    ).only("pk", "username", "language")
    by_id = {user.pk: user_language(user) for user in users}
    by_email = {user.username: user_language(user) for user in users}
    return {
        r["email"]: by_id.get(r.get("user_id")) or by_email.get(r["email"])
        or settings.LANGUAGE_CODE
        for r in notification.recipients
    }


def notification_message(
    notification: Notification, recipient: dict, *, language: str, connection=None
) -> EmailMultiAlternatives:
    """One recipient's email, HTML and text, written in ``language``."""
    zone = zone_for(notification.tenant.time_zone)
    with translation.override(language), timezone.override(zone):
        rendered = notification_render(notification)
        context = {
            "tenant_name": notification.tenant.name,
            "subject": rendered.subject,
            "lines": rendered.lines,
            "subscription_url": subscription_url(),
            "name": recipient["name"],
            "language": language,
        }
        message = EmailMultiAlternatives(
            subject=f"{rendered.subject} · {notification.tenant.name}",
            body=render_to_string("emails/notification.txt", context),
            to=[recipient["email"]],
            connection=connection,
            headers={"Content-Language": language},
        )
        message.attach_alternative(
            render_to_string("emails/notification.html", context), "text/html"
        )
    return message


def notification_send(*, notification_id: int) -> Notification:
    """Send one message per recipient not reached yet, each written in the recipient's
    language at this moment; record each delivery status."""
    notification = Notification.objects.select_related("tenant").get(pk=notification_id)
    if notification.status == DeliveryStatus.SENT:
        return notification
    languages = recipient_languages(notification)
    failed = []
    connection = get_connection()
    recipients = []
    for recipient in notification.recipients:
        if recipient.get("status") == DeliveryStatus.SENT:
            recipients.append(recipient)
            continue
        message = notification_message(
            notification, recipient, language=languages[recipient["email"]],
            connection=connection,
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
