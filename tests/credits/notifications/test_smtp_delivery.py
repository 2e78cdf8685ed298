"""Notifications go out through a real SMTP server on localhost and arrive whole."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from credits.daily import daily_jobs_run
from credits.models import DeliveryStatus, Notification, NotificationKind
from credits.notifications.services import notification_create, notification_send


class _Inbox(Message):
    """Keeps every message the server accepted, as sent on the wire."""

    def __init__(self) -> None:
        super().__init__(message_class=email.message.EmailMessage)
        self.received: list[email.message.EmailMessage] = []

    def handle_message(self, message) -> None:
        self.received.append(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def test_a_recharge_failure_email_arrives_over_smtp_with_html_and_text(
    smtp_server, tenant, global_admin, billing_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        created = notification_create(
            tenant=tenant, kind=NotificationKind.RECHARGE_FAILED, dedupe_key="smtp-test",
            params={"amount": "50", "currency": "USD", "order": "A-1",
                    "reason": "Your card has expired."},
        )

    sent = notification_send(notification_id=created.pk)

    assert sent.status == DeliveryStatus.SENT
    assert {r["status"] for r in sent.recipients} == {DeliveryStatus.SENT}
    arrived = {message["To"]: message for message in smtp_server.received}
    assert set(arrived) == {global_admin.username, billing_admin.username}
    message = email.message_from_bytes(
        arrived[billing_admin.username].as_bytes(), policy=policy.default
    )
    assert "Auto-recharge failed" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert tenant.name in body
        assert "Your card has expired." in body
        assert "/billing/products/communications-credits/" in body


def test_an_unreachable_smtp_server_is_recorded_as_failed_not_lost(
    settings, tenant, global_admin, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    with django_capture_on_commit_callbacks(execute=False):
        created = notification_create(
            tenant=tenant, kind=NotificationKind.BALANCE_ZERO, dedupe_key="smtp-down",
            params={"balance": "0", "currency": "USD"},
        )

    notification_send(notification_id=created.pk)

    stored = Notification.objects.get(pk=created.pk)
    assert stored.status == DeliveryStatus.FAILED
    assert stored.recipients[0]["status"] == DeliveryStatus.FAILED


def test_the_daily_run_delivers_what_failed_once_the_server_is_back(
    settings, smtp_server, tenant, global_admin, billing_admin,
    django_capture_on_commit_callbacks,
):
    server_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = _free_port()  # the server is down for the first try
    settings.EMAIL_TIMEOUT = 2
    with django_capture_on_commit_callbacks(execute=False):
        created = notification_create(
            tenant=tenant, kind=NotificationKind.RECHARGE_FAILED, dedupe_key="smtp-retry",
            params={"amount": "50", "currency": "USD", "order": "A-2",
                    "reason": "Your card has expired."},
        )
    notification_send(notification_id=created.pk)
    assert Notification.objects.get(pk=created.pk).status == DeliveryStatus.FAILED

    settings.EMAIL_PORT = server_port
    summary = daily_jobs_run()

    assert summary["notifications_retried"] == 1
    stored = Notification.objects.get(pk=created.pk)
    assert stored.status == DeliveryStatus.SENT
    assert sorted(m["To"] for m in smtp_server.received) == sorted(
        [global_admin.username, billing_admin.username]
    )
    # Sent now: the next run has nothing to retry and sends nothing twice.
    assert daily_jobs_run()["notifications_retried"] == 0
    assert len(smtp_server.received) == 2
