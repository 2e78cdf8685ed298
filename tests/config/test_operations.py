"""Operations: /healthz, the security headers, no-store on billing pages and downloads,
the money path's structured log lines, and error reporting to Sentry."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.common.logs import event_log
from credits.exceptions import PaymentDeclined
from credits.models import OrderKind, PaymentType
from tests.credits.payments import DECLINED, saved_card, token

pytestmark = pytest.mark.django_db

HEALTHZ = "/healthz"


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.CREDITS_EXPORT_DIR = tmp_path / "exports"


def queued_task(age: timedelta) -> DBTaskResult:
    now = timezone.now()
    task = DBTaskResult.objects.create(
        task_path="credits.tasks.recovery_task", args_kwargs={"args": [], "kwargs": {}},
        queue_name="default", backend_name="default", priority=0,
        run_after=now - age,
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=now - age)
    return task


# --- /healthz -----------------------------------------------------------------------------


def test_healthz_answers_ok_without_signing_in(client):
    response = client.get(HEALTHZ)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok"},
            "queue": {"status": "ok", "oldest_task_age_seconds": None},
            "export_storage": {"status": "ok"},
        },
    }
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response


def test_healthz_reports_the_oldest_waiting_tasks_age(client):
    queued_task(timedelta(seconds=30))
    queued_task(timedelta(seconds=90))
    queue = client.get(HEALTHZ).json()["checks"]["queue"]
    assert queue["status"] == "ok" and 89 <= queue["oldest_task_age_seconds"] <= 95


def test_healthz_fails_when_the_queue_waits_too_long(client, settings):
    settings.HEALTHZ_QUEUE_MAX_AGE_SECONDS = 60
    queued_task(timedelta(minutes=5))
    response = client.get(HEALTHZ)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["checks"]["queue"]["status"] == "fail"
    assert body["checks"]["database"] == {"status": "ok"}


def test_healthz_fails_when_the_database_does_not_answer(client, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("could not connect to server at db.internal:5432 password=x")

    monkeypatch.setattr("config.health.connection.cursor", broken)
    response = client.get(HEALTHZ)
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"status": "fail"}
    assert b"db.internal" not in response.content and b"password" not in response.content


def test_healthz_fails_when_exports_cannot_be_written(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.CREDITS_EXPORT_DIR = blocker / "exports"
    response = client.get(HEALTHZ)
    assert response.status_code == 503
    assert response.json()["checks"]["export_storage"] == {"status": "fail"}
    assert str(tmp_path).encode() not in response.content


def test_healthz_takes_get_and_head_only_and_needs_no_csrf_token(client):
    assert client.head(HEALTHZ).status_code == 200
    assert client.post(HEALTHZ).status_code == 405


def test_healthz_is_cheap(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        client.get(HEALTHZ)


# --- headers ------------------------------------------------------------------------------


def test_pages_carry_the_security_headers(client, global_admin):
    client.force_login(global_admin)
    response = client.get("/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_sign_in_page_has_them_too(client):
    response = client.get("/accounts/login/")
    assert "Content-Security-Policy" in response and "Permissions-Policy" in response


@pytest.mark.parametrize(
    "url", ["/billing/bills/", "/billing/payment-methods/", "/billing/products/",
            "/billing/rates/"],
)
def test_billing_pages_are_never_stored(client, billing_admin, url):
    client.force_login(billing_admin)
    response = client.get(url)
    assert response.status_code in (200, 302)
    assert "no-store" in response["Cache-Control"]


def test_usage_exports_are_never_stored(client, reports_reader):
    client.force_login(reports_reader)
    response = client.get("/reports/pstn-usage/export.csv")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_any_download_is_never_stored(client, license_admin):
    client.force_login(license_admin)
    response = client.get("/users/active/import/sample.csv")
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]


def test_the_usage_api_is_never_stored(client):
    response = client.post("/api/v1/usage", data="[]", content_type="application/json")
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]


# --- structured logs ----------------------------------------------------------------------


def money_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "event", "")]


def test_an_order_logs_placed_charged_paid_and_posted_with_ids_and_no_card_data(
    tenant, billing_admin, caplog, django_capture_on_commit_callbacks
):
    card = saved_card(tenant)
    caplog.set_level(logging.INFO)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(
            tenant=tenant, acting_user=billing_admin, kind=OrderKind.PURCHASE,
            amount=Decimal("100"), payment=Payment(type=PaymentType.CARD, card=card),
            idempotency_key=token(), recharge=RechargeSettings(enabled=False),
        )
    lines = money_lines(caplog)
    events = [r.event for r in lines]
    for event in ("order.placed", "payment.charged", "order.paid", "ledger.posted"):
        assert event in events, events
    paid = next(r for r in lines if r.event == "order.paid")
    message = paid.getMessage()
    assert f"tenant_id={tenant.pk}" in message and f"order_id={order.pk}" in message
    assert "amount=100.0000" in message
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert card.gateway_token not in everything
    assert "4242424242424242" not in everything


def test_a_declined_order_logs_declined_and_failed(tenant, billing_admin, caplog):
    card = saved_card(tenant, DECLINED)
    caplog.set_level(logging.INFO)
    with pytest.raises(PaymentDeclined):
        order_place(
            tenant=tenant, acting_user=billing_admin, kind=OrderKind.PURCHASE,
            amount=Decimal("60"), payment=Payment(type=PaymentType.CARD, card=card),
            idempotency_key=token(), recharge=RechargeSettings(enabled=False),
        )
    lines = {r.event: r.getMessage() for r in money_lines(caplog)}
    assert "failure_code=card_declined" in lines["payment.declined"]
    assert f"tenant_id={tenant.pk}" in lines["order.failed"]
    assert card.gateway_token not in "\n".join(lines.values())


def test_card_data_is_never_logged():
    with pytest.raises(ValueError, match="Card data is never logged"):
        event_log(logging.getLogger("test"), "order.paid", gateway_token="tok_x")


def test_values_with_spaces_are_quoted(caplog):
    caplog.set_level(logging.INFO)
    event_log(logging.getLogger("test"), "x.y", reason='no "funds" left', count=2)
    assert caplog.records[-1].getMessage() == 'event=x.y reason="no \\"funds\\" left" count=2'


def test_the_logging_settings_print_the_money_lines(settings):
    assert settings.LOGGING["root"]["handlers"] == ["console"]
    assert "%(message)s" in settings.LOGGING["formatters"]["plain"]["format"]


# --- Sentry ---------------------------------------------------------------------------------


def test_sentry_sends_no_personal_data_bodies_or_local_variables():
    import sentry_sdk

    from config.sentry import sentry_init

    try:
        sentry_init(dsn="https://public@sentry.example.invalid/1", environment="test")
        options = sentry_sdk.get_client().options
        assert options["send_default_pii"] is False
        assert options["max_request_body_size"] == "never"
        assert options["include_local_variables"] is False
        assert options["environment"] == "test"
    finally:
        sentry_sdk.init(dsn=None)
