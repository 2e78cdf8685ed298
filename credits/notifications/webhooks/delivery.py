"""Sending webhook deliveries (README, "Webhooks"): the signed body, the attempts with
back-off, the retry sweep on the workers, and the endpoint disabled after its deliveries
have failed for a day.

**The body and its signature.** ``{"id": "evt_…", "type": …, "created": ISO 8601 UTC,
"tenant": {"id", "name"}, "data": {…}}``, POSTed as JSON with the header
``Credits-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the
endpoint's secret>`` (Stripe's scheme: the receiver checks the HMAC and that ``t`` is
recent).

**Attempts.** The first at once (a task queued after the event's transaction commits),
then after ``RETRY_DELAYS`` (1 min, 5 min, 30 min, 2 h, 5 h, 10 h): seven attempts over
about 18 hours. An answer 2xx is a success; anything else, a timeout or a refused
address is a failure. An attempt first claims its delivery (a conditional UPDATE that
moves ``next_attempt_at`` past the attempt), so two workers never send it twice.

**The sweep.** ``webhooks_sweep`` sends every delivery whose retry is due. It runs on the
workers, no cron: a failed attempt queues a run for when its retry is due (kept single by
the ``WebhookSweep`` row, as the recovery of interrupted payments is: a run queued earlier
supersedes a later one, and a run queued but not started after ``LOST_AFTER`` is taken
for lost), each run queues the next for the earliest retry still to come, and the daily
jobs run it too (the backstop).

**Disabling.** When a delivery's last attempt fails and the endpoint has answered no
attempt successfully for ``FAILING_WINDOW`` (the span of a delivery's attempts, about
18 hours: every attempt of it failed, and every other since), the endpoint is disabled, its
other open deliveries stop, and the notified admins get an email (``webhook_disabled``).
An admin enables it again on the Webhooks page and may resend what it missed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from credits.common.jobs import can_defer, enqueue_after_commit
from credits.notifications.choices import NotificationKind
from credits.notifications.services import notification_create
from credits.notifications.webhooks.addresses import Target, WebhookAddressRefused, target_check
from credits.notifications.webhooks.choices import WebhookDeliveryStatus
from credits.notifications.webhooks.models import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSweep,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Credits-Signature"
RETRY_DELAYS = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
    timedelta(hours=5), timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A delivery's last attempt fails this long after its first at the earliest: an endpoint
# failing since at least then has failed every attempt of it.
FAILING_WINDOW = sum(RETRY_DELAYS, timedelta())
TIMEOUT_SECONDS = 10
# An attempt's claim: longer than any attempt can take, so nobody else sends it meanwhile.
LEASE = timedelta(minutes=5)
RESPONSE_READ_LIMIT = 4096
USER_AGENT = "CommunicationsCredits-Webhooks/1.0"

SWEEP_JOB = "webhooks_sweep_task"
SWEEP_BATCH = 200
SWEEP_MIN_GAP = timedelta(seconds=10)
LOST_AFTER = timedelta(minutes=2)
DISABLED_ERROR = "endpoint disabled"


# ------------------------------------------------------------------- body and signature


def webhook_body(event: WebhookEvent) -> bytes:
    created = event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    payload = {
        "id": event.public_id,
        "type": event.type,
        "created": created,
        "tenant": {"id": event.tenant_id, "name": event.tenant.name},
        "data": event.data,
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def webhook_signature(*, secret: str, body: bytes, timestamp: int) -> str:
    """The ``Credits-Signature`` header's value for ``body`` sent at ``timestamp``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# ---------------------------------------------------------------------------- sending


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to one address that was checked, whatever the name resolves to now."""

    def __init__(self, host: str, *, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to one address that was checked; the certificate is verified for the host."""

    def __init__(self, host: str, *, address: str, port: int, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.pinned_address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def webhook_post(target: Target, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to the target's first address; the answer's status code. Redirects
    are not followed. Network errors raise ``OSError`` or ``http.client.HTTPException``."""
    kind = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    connection = kind(
        target.host, address=target.addresses[0], port=target.port, timeout=TIMEOUT_SECONDS
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        return response.status
    finally:
        connection.close()


def delivery_claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery's next attempt if it is due and its endpoint enabled."""
    return bool(
        WebhookDelivery.objects.open()
        .filter(pk=delivery_id, next_attempt_at__lte=now, endpoint__is_enabled=True)
        .update(next_attempt_at=now + LEASE)
    )


def webhook_deliver(*, delivery_id: int, at: datetime | None = None) -> WebhookDelivery:
    """Make the delivery's attempt that is due (nothing when none is, or another worker
    has it) and record how it went."""
    now = at or timezone.now()
    if not delivery_claim(delivery_id, now):
        return WebhookDelivery.objects.get(pk=delivery_id)
    delivery = WebhookDelivery.objects.select_related("endpoint", "event__tenant").get(
        pk=delivery_id
    )
    endpoint, event = delivery.endpoint, delivery.event
    body = webhook_body(event)
    code, error = None, ""
    started = time.monotonic()
    try:
        target = target_check(endpoint.url)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: webhook_signature(
                secret=endpoint.secret, body=body, timestamp=int(time.time())
            ),
            "Credits-Event-Id": event.public_id,
            "Credits-Event-Type": event.type,
        }
        code = webhook_post(target, body, headers)
    except WebhookAddressRefused as refusal:
        error = refusal.message
    except (OSError, http.client.HTTPException) as failure:
        error = str(failure) or type(failure).__name__
    duration = int((time.monotonic() - started) * 1000)
    succeeded = code is not None and 200 <= code < 300
    if code is not None and not succeeded:
        error = f"HTTP {code}"
    return attempt_record(
        delivery, at=now, code=code, duration_ms=duration, error=error, succeeded=succeeded
    )


def attempt_record(
    delivery: WebhookDelivery, *, at: datetime, code: int | None, duration_ms: int,
    error: str, succeeded: bool,
) -> WebhookDelivery:
    """Record one attempt: a success, a retry to come, or the last failure (which may
    disable the endpoint)."""
    endpoint = delivery.endpoint
    delivery.attempts += 1
    delivery.last_attempt_at = at
    delivery.response_code = code
    delivery.duration_ms = duration_ms
    delivery.error = error[:300]
    disable = False
    with transaction.atomic():
        if succeeded:
            delivery.status = WebhookDeliveryStatus.SUCCEEDED
            delivery.next_attempt_at = None
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        else:
            WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
                failing_since=at
            )
            endpoint.refresh_from_db(fields=["failing_since", "is_enabled"])
            if delivery.attempts < MAX_ATTEMPTS:
                delivery.status = WebhookDeliveryStatus.RETRYING
                delivery.next_attempt_at = at + RETRY_DELAYS[delivery.attempts - 1]
                sweep_schedule(due_at=delivery.next_attempt_at, at=at)
            else:
                delivery.status = WebhookDeliveryStatus.FAILED
                delivery.next_attempt_at = None
                disable = (
                    endpoint.is_enabled and endpoint.failing_since <= at - FAILING_WINDOW
                )
        delivery.save(update_fields=[
            "status", "attempts", "next_attempt_at", "last_attempt_at", "response_code",
            "duration_ms", "error",
        ])
        if disable:
            endpoint_disable(endpoint, at=at, error=delivery.error)
    log.info(
        "Webhook delivery %s to endpoint %s: attempt %s, %s (%s)", delivery.pk, endpoint.pk,
        delivery.attempts, delivery.status, code or error,
    )
    return delivery


def endpoint_disable(endpoint: WebhookEndpoint, *, at: datetime, error: str) -> bool:
    """Disable an endpoint that has failed for too long, stop its open deliveries and
    email the notified admins once. Inside the caller's transaction."""
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_enabled=True).update(
        is_enabled=False, disabled_at=at,
        disabled_reason=f"Every attempt failed since {endpoint.failing_since:%Y-%m-%d %H:%M} "
                        f"UTC; the last: {error}"[:300],
    )
    if not changed:
        return False
    WebhookDelivery.objects.open().filter(endpoint=endpoint).update(
        status=WebhookDeliveryStatus.FAILED, next_attempt_at=None, error=DISABLED_ERROR
    )
    endpoint.refresh_from_db()
    notification_create(
        tenant=endpoint.tenant, kind=NotificationKind.WEBHOOK_DISABLED,
        dedupe_key=f"webhook_disabled:{endpoint.pk}:{int(at.timestamp())}",
        params={
            "url": endpoint.url, "endpoint_id": endpoint.pk,
            "since": endpoint.failing_since.astimezone(UTC).isoformat(),
            "attempts": MAX_ATTEMPTS, "error": error,
        },
    )
    log.warning("Webhook endpoint %s disabled after failing since %s", endpoint.pk,
                endpoint.failing_since)
    return True


# --------------------------------------------------------------------------- the sweep


def sweep_locked() -> WebhookSweep:
    rows = WebhookSweep.objects.filter(name=SWEEP_JOB)
    if not rows.update(generation=F("generation")):
        WebhookSweep.objects.get_or_create(name=SWEEP_JOB)
    return rows.select_for_update().get()


def sweep_queued_in_time(next_run_at: datetime | None, due_at: datetime, now: datetime) -> bool:
    return next_run_at is not None and now - LOST_AFTER < next_run_at <= due_at


def sweep_schedule(*, due_at: datetime, at: datetime | None = None) -> bool:
    """Make sure a sweep runs by ``due_at``: queue one for then unless one is queued
    already by that time. Returns whether it queued one (never on a backend that can't
    defer jobs: the tests run ``webhooks_sweep`` themselves)."""
    if not can_defer(SWEEP_JOB):
        return False
    now = at or timezone.now()
    due_at = max(due_at, now)
    next_run_at = (
        WebhookSweep.objects.filter(name=SWEEP_JOB).values_list("next_run_at", flat=True).first()
    )
    if sweep_queued_in_time(next_run_at, due_at, now):
        return False
    with transaction.atomic():
        job = sweep_locked()
        if sweep_queued_in_time(job.next_run_at, due_at, now):
            return False
        job.generation += 1
        job.next_run_at = due_at
        job.save(update_fields=["generation", "next_run_at"])
        enqueue_after_commit(SWEEP_JOB, run_after=due_at, generation=job.generation)
    return True


def webhooks_sweep(*, generation: int | None = None, at: datetime | None = None) -> dict:
    """Send the deliveries whose retry is due (at most ``SWEEP_BATCH`` a run), then queue
    the next run for the earliest retry still to come. A run whose ``generation`` was
    superseded stops at once; one without (the daily jobs) always goes ahead."""
    now = at or timezone.now()
    with transaction.atomic():
        job = sweep_locked()
        if generation is not None and generation != job.generation:
            return {"superseded": True}
        job.last_run_at = now
        job.next_run_at = None
        job.save(update_fields=["last_run_at", "next_run_at"])
    due = list(
        WebhookDelivery.objects.open()
        .filter(endpoint__is_enabled=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    summary = {"sent": 0, "succeeded": 0, "errors": 0}
    for pk in due:
        try:
            delivery = webhook_deliver(delivery_id=pk, at=now)
        except Exception:  # noqa: BLE001 - one delivery's error must not stop the others
            log.exception("Webhook delivery %s could not be attempted", pk)
            summary["errors"] += 1
            continue
        summary["sent"] += 1
        summary["succeeded"] += delivery.status == WebhookDeliveryStatus.SUCCEEDED
    next_due = (
        WebhookDelivery.objects.open().filter(endpoint__is_enabled=True)
        .aggregate(first=Min("next_attempt_at"))["first"]
    )
    if next_due is not None:
        sweep_schedule(due_at=max(next_due, now + SWEEP_MIN_GAP), at=now)
    return summary
