"""The demo's spend alert: Contoso's alert is on, and today's premium-rate calls (the ones
that start its auto-recharge) are a spike against the seeded history, so the Message center
shows one "Unusual Communications Credits spend" notification; a second seed adds none."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Tenant
from credits.models import Notification, NotificationKind, SpendControls


@pytest.mark.django_db
def test_the_seeded_demo_shows_one_spend_anomaly(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--password", "demo-password-1", stdout=StringIO())
    contoso = Tenant.objects.get(slug="contoso")
    controls = SpendControls.objects.get(tenant=contoso)
    assert (controls.alert_enabled, str(controls.multiplier), controls.stop_at_cap) == (
        True, "3.0", False
    )
    anomalies = Notification.objects.filter(kind=NotificationKind.SPEND_ANOMALY)
    notification = anomalies.get()
    assert notification.tenant == contoso
    assert notification.params["over_average"] is True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--password", "demo-password-1", stdout=StringIO())
    assert anomalies.count() == 1
