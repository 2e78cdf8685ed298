"""Webhook fixtures: a local receiver and an endpoint of Contoso's pointing at it."""

from __future__ import annotations

import pytest

from credits.notifications.webhooks.choices import WebhookEventType
from credits.notifications.webhooks.services import webhook_endpoint_create
from tests.credits.notifications.webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def endpoint(tenant, billing_admin, receiver):
    """Contoso's endpoint for every event, at the receiver, which knows its secret."""
    created, secret = webhook_endpoint_create(
        tenant=tenant, acting_user=billing_admin, url=receiver.url,
        events=list(WebhookEventType.values), description="ERP",
    )
    receiver.secret = secret
    return created
