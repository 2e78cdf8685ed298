"""Notifications are written when they are read (README, "Languages and time zones"):
each email in its recipient's language when it is sent, the Message center in the
viewer's language; amounts by Babel for that language, dates in the tenant's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_string
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import AdminRole
from credits.daily import expiry_reminders_send
from credits.models import DeliveryStatus, Notification, NotificationKind
from credits.notifications import renderers
from credits.notifications.renderers import Rendered
from credits.notifications.services import notification_create, notification_send
from tests.accounts.factories import AdminFactory
from tests.credits.factories import fund

URL = "/message-center/"
FAILED = {"amount": "50", "currency": "USD", "order": "A-7", "order_id": 7,
          "reason": "Your card has expired."}


@pytest.fixture
def chinese_admin(tenant):
    return AdminFactory(
        tenant=tenant, username="lei@contoso.example", display_name="Lei Wang",
        roles=[AdminRole.BILLING_ADMIN], language="zh-hans",
    )


def _create(tenant, django_capture_on_commit_callbacks, kind=NotificationKind.RECHARGE_FAILED,
            params=FAILED, key="k1"):
    with django_capture_on_commit_callbacks(execute=False):  # sent below, by hand
        return notification_create(tenant=tenant, kind=kind, dedupe_key=key, params=params)


def _by_recipient() -> dict[str, EmailMultiAlternatives]:
    return {m.to[0]: m for m in mail.outbox}


def _html(message: EmailMultiAlternatives) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


def test_each_recipient_gets_the_email_in_their_own_language(
    tenant, global_admin, chinese_admin, django_capture_on_commit_callbacks
):
    created = _create(tenant, django_capture_on_commit_callbacks)
    assert {r["user_id"] for r in created.recipients} == {global_admin.pk, chinese_admin.pk}

    notification_send(notification_id=created.pk)

    sent = _by_recipient()
    english, chinese = sent[global_admin.username], sent[chinese_admin.username]
    assert english.extra_headers["Content-Language"] == "en"
    assert chinese.extra_headers["Content-Language"] == "zh-hans"
    assert '<html lang="en">' in _html(english)
    assert '<html lang="zh-hans">' in _html(chinese)
    # Babel for each language: en_US writes $50.00, zh_Hans_CN US$50.00.
    assert "$50.00" in english.body and "US$" not in english.body
    assert "US$50.00" in chinese.body
    with translation.override("zh-hans"):
        subject = gettext("Auto-recharge failed")
    assert chinese.subject == f"{subject} · Contoso"
    assert english.subject == "Auto-recharge failed · Contoso"
    # The backoffice list keeps an English subject.
    assert Notification.objects.get(pk=created.pk).subject == "Auto-recharge failed"


def test_the_renderer_runs_under_each_recipients_language(
    tenant, global_admin, chinese_admin, django_capture_on_commit_callbacks
):
    seen = []

    def spy(params, country):
        seen.append(translation.get_language())
        return Rendered(subject=f"subject in {translation.get_language()}", lines=("line",))

    created = _create(tenant, django_capture_on_commit_callbacks)
    with mock.patch.dict(renderers.RENDERERS, {NotificationKind.RECHARGE_FAILED: spy}):
        notification_send(notification_id=created.pk)

    assert sorted(seen) == ["en", "zh-hans"]
    sent = _by_recipient()
    assert sent[chinese_admin.username].subject == "subject in zh-hans · Contoso"
    assert sent[global_admin.username].subject == "subject in en · Contoso"


def test_the_language_is_read_at_send_time_and_a_resend_after_a_failure_re_renders(
    tenant, global_admin, django_capture_on_commit_callbacks
):
    created = _create(tenant, django_capture_on_commit_callbacks)
    with mock.patch.object(EmailMultiAlternatives, "send", side_effect=OSError("SMTP down")):
        failed = notification_send(notification_id=created.pk)
    assert failed.status == DeliveryStatus.FAILED and not mail.outbox

    global_admin.language = "zh-hant"  # chosen after the notification was recorded
    global_admin.save(update_fields=["language"])
    resent = notification_send(notification_id=created.pk)

    assert resent.status == DeliveryStatus.SENT
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "zh-hant"
    assert '<html lang="zh-hant">' in _html(message)
    assert "US$50.00" in message.body
    with translation.override("zh-hant"):
        assert gettext("No funds were added. Update the payment method on the subscription "
                       "page; auto-recharge is tried again once it changes.") in message.body


def test_the_text_email_is_whole_in_each_language(
    tenant, global_admin, chinese_admin, django_capture_on_commit_callbacks
):
    created = _create(tenant, django_capture_on_commit_callbacks)
    notification_send(notification_id=created.pk)
    for message in mail.outbox:
        parsed = message_from_string(message.message().as_string())
        assert parsed["Content-Language"] in {"en", "zh-hans"}
        assert "Your card has expired." in message.body
        assert "/billing/products/communications-credits/" in message.body
        assert "A-7" in message.body


def test_the_message_center_speaks_the_viewers_language(
    client, tenant, global_admin, chinese_admin, django_capture_on_commit_callbacks
):
    _create(tenant, django_capture_on_commit_callbacks, kind=NotificationKind.RECHARGE_SUCCEEDED,
            params={"amount": "50", "currency": "USD", "order": "A-8", "order_id": 8,
                    "balance": "120.5"})

    client.force_login(global_admin)
    english = client.get(URL).content.decode()
    client.force_login(chinese_admin)
    chinese = client.get(URL).content.decode()

    assert "$50.00 was added" in english and "$120.50" in english and "US$" not in english
    assert "US$50.00" in chinese and "US$120.50" in chinese
    with translation.override("zh-hans"):
        assert gettext("Auto-recharge succeeded") in chinese
        assert str(DeliveryStatus.PENDING.label) in chinese


def test_the_message_center_keeps_the_text_of_notifications_recorded_before(admin_client, tenant):
    Notification.objects.create(
        tenant=tenant, kind=NotificationKind.BALANCE_ZERO, dedupe_key="old",
        subject="Your balance reached zero (stored)", context={"lines": ["Stored line."]},
        recipients=[{"email": "admin@contoso.example", "name": "Megan Bowen",
                     "status": DeliveryStatus.SENT}],
    )
    page = admin_client.get(URL).content.decode()
    assert "Your balance reached zero (stored)" in page and "Stored line." in page


def test_an_old_notification_without_user_ids_still_finds_its_recipients_language(
    tenant, chinese_admin
):
    notice = Notification.objects.create(
        tenant=tenant, kind=NotificationKind.BALANCE_ZERO, dedupe_key="old",
        subject="Your balance reached zero", params={"balance": "0", "currency": "USD"},
        recipients=[{"email": chinese_admin.username, "name": "Lei Wang",
                     "status": DeliveryStatus.PENDING}],
    )
    notification_send(notification_id=notice.pk)
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "zh-hans"


def test_expiry_dates_are_the_tenants_days_in_the_readers_format(
    tenant, account, global_admin, chinese_admin, django_capture_on_commit_callbacks
):
    tenant.time_zone = "America/New_York"
    tenant.save(update_fields=["time_zone"])
    # Bought at 03:00 UTC on 1 Dec 2025: still 30 November in New York. Expires a year on.
    bought = datetime(2025, 12, 1, 3, 0, tzinfo=UTC)
    fund(account, "80", at=bought)
    with django_capture_on_commit_callbacks(execute=True):
        assert expiry_reminders_send(at=datetime(2026, 11, 25, 12, tzinfo=UTC)) == 1

    notice = Notification.objects.get(kind=NotificationKind.EXPIRY_REMINDER)
    assert notice.params["bought"] == bought.isoformat()
    sent = _by_recipient()
    assert "funds bought on Nov 30, 2025 expire on Nov 30, 2026" in sent[global_admin.username].body
    assert "2025年11月30日" in sent[chinese_admin.username].body
    assert "2026年11月30日" in sent[chinese_admin.username].body


def test_every_kind_has_a_renderer_writing_a_subject_in_each_language(tenant):
    params = {
        NotificationKind.BALANCE_ZERO: {"balance": "-1.5", "currency": "USD"},
        NotificationKind.LIMIT_REACHED: {"spent": "100", "amount": "50", "limit": "120",
                                         "currency": "USD", "month": "2026-11"},
        NotificationKind.RECHARGE_FAILED: FAILED,
        NotificationKind.RECHARGE_SUCCEEDED: {"amount": "50", "currency": "USD",
                                              "order": "A-1", "balance": "70"},
        NotificationKind.EXPIRY_REMINDER: {"days": 7, "remaining": "8.4", "currency": "USD",
                                           "bought": "2025-12-01T03:00:00+00:00",
                                           "expires": "2026-12-01T03:00:00+00:00", "left": 6},
        NotificationKind.SETTINGS_TURNED_OFF: {"amount": "50.0000", "trigger": "10000.0000",
                                               "currency": "USD"},
        NotificationKind.BALANCE_LOW: {"balance": "24.5", "threshold": "30", "currency": "USD",
                                       "at": "2026-11-30T04:00:00+00:00"},
        NotificationKind.SPEND_ANOMALY: {"day": "2026-11-29", "spend": "270", "average": "45",
                                         "multiplier": "3.0", "currency": "USD",
                                         "daily_amount": "200", "over_average": True,
                                         "over_amount": True},
        NotificationKind.DAILY_CAP_REACHED: {"day": "2026-11-29", "spend": "205",
                                             "average": "45", "multiplier": "3.0",
                                             "currency": "USD", "daily_amount": "200"},
        NotificationKind.WEBHOOK_DISABLED: {"url": "https://hooks.contoso.example/in",
                                            "endpoint_id": 1, "attempts": 7,
                                            "since": "2026-11-29T10:00:00+00:00",
                                            "error": "HTTP 503"},
    }
    assert set(params) == set(NotificationKind.values)
    for kind, values in params.items():
        for language in ("en", "zh-hans", "zh-hant"):
            with translation.override(language):
                rendered = renderers.render(kind=kind, params=values, country=tenant.country)
            assert rendered.subject and rendered.lines, (kind, language)
            assert all("%(" not in line for line in rendered.lines), (kind, language)


def test_the_notification_is_recorded_once_per_event(
    tenant, global_admin, django_capture_on_commit_callbacks
):
    assert _create(tenant, django_capture_on_commit_callbacks) is not None
    assert _create(tenant, django_capture_on_commit_callbacks) is None
    assert Notification.objects.count() == 1


def test_a_notification_created_now_has_json_safe_params(tenant, global_admin):
    import json

    notice = notification_create(
        tenant=tenant, kind=NotificationKind.BALANCE_ZERO, dedupe_key="json",
        params={"balance": "0", "currency": "USD"},
    )
    assert json.loads(json.dumps(notice.params)) == notice.params
    assert notice.created_at > datetime.now(UTC) - timedelta(minutes=1)
