"""Spend controls: the unusual-spend alert (k times the 28-day average, a fixed daily
amount, once a day) and the daily cap (authorization refuses paid calls until the next day
in the tenant's time zone, or until an admin lifts it), the page, and the import's hook."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditEvent
from credits.models import Notification, NotificationKind, SpendControls
from credits.notifications.renderers import notification_render
from credits.usage.selectors import daily_average_before, day_spend
from credits.usage.services.api_tokens import api_token_create
from credits.usage.services.authorize import call_authorize
from credits.usage.services.controls import spend_cap_lift, spend_check, spend_controls_update
from tests.accounts.factories import AdminFactory
from tests.credits.calls import (
    CREDITS,
    DOMESTIC,
    GB_MOBILE,
    US_FIXED,
    import_rows,
    person,
    record,
    test_rates,  # noqa: F401 - fixture
)
from tests.credits.factories import fund

# A local day in the tenant's zone (Los Angeles, UTC-8 in winter, UTC-7 in summer), three
# days ago: the calls are in the past for the import, and within its window.
ZONE = "America/Los_Angeles"
DAY = (datetime.now(UTC) - timedelta(days=3)).date()


def local(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


# A 10-minute call from a US user to a GB mobile, paid from credits: 10 x 0.10 + 0.01.
CALL_COST = Decimal("1.0100")


@pytest.fixture
def office(tenant, account, test_rates):  # noqa: F811
    tenant.time_zone = ZONE
    tenant.save(update_fields=["time_zone"])
    person(tenant, "cy", CREDITS)
    person(tenant, "ana", DOMESTIC, CREDITS)
    fund(account, "1000.00", at=local(DAY, 0) - timedelta(days=40))
    return tenant


def calls_on(tenant, day, count: int, *, hour: int = 9, now=None):
    """``count`` paid calls of 10 minutes by cy on ``day`` (local), one minute apart."""
    rows = [
        record(upn="cy@contoso.example", destination=GB_MOBILE,
               start=local(day, hour) + timedelta(minutes=11 * n), seconds=600)
        for n in range(count)
    ]
    result = import_rows(tenant, rows, now=now or local(day + timedelta(days=1), 6))
    assert result.imported == count
    return result


def baseline(tenant, calls_per_day: int = 1):
    """One paid call a day on each of the 28 UTC days before DAY starts: an average of
    CALL_COST a day."""
    for n in range(1, 29):
        calls_on(tenant, DAY - timedelta(days=n), calls_per_day, hour=12)


def controls(tenant, **values):
    settings = {"alert_enabled": True, "multiplier": "3", "daily_amount": "",
                "stop_at_cap": False, **values}
    return spend_controls_update(tenant=tenant, acting_user=None, **settings)


def anomalies(tenant):
    return Notification.objects.filter(tenant=tenant, kind=NotificationKind.SPEND_ANOMALY)


def cap_notices(tenant):
    return Notification.objects.filter(tenant=tenant, kind=NotificationKind.DAILY_CAP_REACHED)


def test_day_spend_counts_the_calls_of_the_tenants_day_not_the_utc_day(office):
    # 23:30 local on DAY is 07:30 UTC the day after: still DAY's spend.
    calls_on(office, DAY, 1, hour=23)
    assert day_spend(tenant=office, day=DAY) == CALL_COST
    assert day_spend(tenant=office, day=DAY + timedelta(days=1)) == Decimal("0")


def test_the_average_is_the_28_days_before(office):
    baseline(office)
    assert daily_average_before(tenant=office, day=DAY) == CALL_COST


def test_spend_over_k_times_the_average_alerts_once_that_day(office, global_admin):
    baseline(office)
    controls(office, multiplier="3")
    calls_on(office, DAY, 3)  # 3.03: not more than 3 x 1.01
    assert spend_check(tenant=office, at=local(DAY, 20)).unusual is False
    assert not anomalies(office).exists()
    calls_on(office, DAY, 1, hour=14)  # 4.04
    verdict = spend_check(tenant=office, at=local(DAY, 20))
    assert verdict.over_average and not verdict.over_amount
    calls_on(office, DAY, 2, hour=16)
    spend_check(tenant=office, at=local(DAY, 21))  # still unusual: already told today
    notification = anomalies(office).get()
    assert notification.params["day"] == DAY.isoformat()
    assert notification.params["spend"] == "4.0400"
    assert notification.params["over_average"] is True
    assert SpendControls.objects.get(tenant=office).alerted_on == DAY


def test_a_higher_multiplier_does_not_alert(office):
    baseline(office)
    controls(office, multiplier="4.5")
    calls_on(office, DAY, 4)  # 4.04 < 4.5 x 1.01
    assert spend_check(tenant=office, at=local(DAY, 20)).unusual is False
    assert not anomalies(office).exists()


def test_no_history_no_average_alert(office):
    controls(office, multiplier="1.5")
    calls_on(office, DAY, 5)
    assert spend_check(tenant=office, at=local(DAY, 20)).over_average is False
    assert not anomalies(office).exists()


def test_the_fixed_daily_amount_alerts_without_history(office):
    controls(office, daily_amount="2.00")
    calls_on(office, DAY, 2)  # 2.02 > 2.00
    verdict = spend_check(tenant=office, at=local(DAY, 20))
    assert verdict.over_amount and not verdict.cap_reached
    assert anomalies(office).get().params["over_amount"] is True


def test_the_next_day_alerts_again(office):
    controls(office, daily_amount="2.00")
    calls_on(office, DAY, 3)
    spend_check(tenant=office, at=local(DAY, 20))
    calls_on(office, DAY + timedelta(days=1), 3)
    spend_check(tenant=office, at=local(DAY + timedelta(days=1), 20))
    assert sorted(n.params["day"] for n in anomalies(office)) == [
        DAY.isoformat(), (DAY + timedelta(days=1)).isoformat()
    ]


def test_alert_off_tells_nobody(office):
    controls(office, alert_enabled=False, daily_amount="1.00")
    calls_on(office, DAY, 3)
    assert spend_check(tenant=office, at=local(DAY, 20)) is None
    assert not anomalies(office).exists()


def test_without_controls_the_check_costs_one_query(office, django_assert_num_queries):
    calls_on(office, DAY, 3)
    with django_assert_num_queries(1):
        assert spend_check(tenant=office, at=local(DAY, 20)) is None


def test_once_told_the_check_costs_one_query(office, django_assert_num_queries):
    controls(office, daily_amount="1.00")
    calls_on(office, DAY, 2)
    spend_check(tenant=office, at=local(DAY, 20))
    with django_assert_num_queries(1):
        assert spend_check(tenant=office, at=local(DAY, 21)) is None


def test_the_check_reads_the_same_queries_however_many_calls(
    office, django_assert_max_num_queries
):
    controls(office, multiplier="100", daily_amount="1000")  # never unusual here
    baseline(office, calls_per_day=1)
    calls_on(office, DAY, 2)
    with django_assert_max_num_queries(3):
        spend_check(tenant=office, at=local(DAY, 20))
    calls_on(office, DAY, 30, hour=12)
    with django_assert_max_num_queries(3):
        spend_check(tenant=office, at=local(DAY, 22))


def test_the_import_runs_the_spend_check_after_it_commits(
    office, global_admin, django_capture_on_commit_callbacks
):
    controls(office, daily_amount="2.00")
    with django_capture_on_commit_callbacks(execute=True):
        # The import's clock is now: today's calls in the tenant's day.
        now = datetime.now(UTC).replace(microsecond=0)
        rows = [
            record(upn="cy@contoso.example", destination=GB_MOBILE,
                   start=now - timedelta(minutes=12 * (n + 1)), seconds=600)
            for n in range(3)
        ]
        import_rows(office, rows)
    notification = anomalies(office).get()
    assert notification.recipients[0]["email"] == global_admin.username
    assert any("Unusual Communications Credits spend" in m.subject for m in mail.outbox)


# ----------------------------------------------------------------------------- the cap


def authorize(tenant, at, who="cy", destination=GB_MOBILE):
    return call_authorize(
        tenant=tenant, upn=f"{who}@contoso.example", call_type="user_out",
        destination_number=destination, at=at,
    )


def test_the_cap_refuses_paid_calls_until_the_next_day_in_the_tenants_zone(office):
    controls(office, alert_enabled=False, daily_amount="3.00", stop_at_cap=True)
    calls_on(office, DAY, 2)
    assert authorize(office, local(DAY, 12)).allowed  # 2.02 < 3.00
    calls_on(office, DAY, 1, hour=13)  # 3.03 >= 3.00
    refused = authorize(office, local(DAY, 14))
    assert (refused.allowed, refused.code) == (False, "daily_cap_reached")
    assert "daily cap of $3.00" in refused.reason
    # 23:30 in Los Angeles is already the next day in UTC: still the same day here.
    assert authorize(office, local(DAY, 23, 30)).code == "daily_cap_reached"
    assert authorize(office, local(DAY + timedelta(days=1), 0, 30)).allowed


def test_the_cap_does_not_stop_calls_a_pool_or_nothing_pays(office):
    controls(office, alert_enabled=False, daily_amount="1.00", stop_at_cap=True)
    calls_on(office, DAY, 2)
    assert authorize(office, local(DAY, 14)).code == "daily_cap_reached"
    pooled = authorize(office, local(DAY, 14), who="ana", destination=US_FIXED)
    assert (pooled.allowed, pooled.capability) == (True, "MCOPSTN1")
    assert authorize(office, local(DAY, 14), destination="+18005550123").allowed  # toll-free


def test_lift_for_today_lets_paid_calls_start_until_the_day_ends(office, global_admin):
    controls(office, alert_enabled=False, daily_amount="1.00", stop_at_cap=True)
    calls_on(office, DAY, 2)
    assert authorize(office, local(DAY, 14)).code == "daily_cap_reached"
    assert spend_cap_lift(tenant=office, acting_user=global_admin, at=local(DAY, 15))
    assert authorize(office, local(DAY, 16)).allowed
    calls_on(office, DAY + timedelta(days=1), 2)
    assert authorize(office, local(DAY + timedelta(days=1), 14)).code == "daily_cap_reached"
    event = AuditEvent.objects.get(action="credits.spend_cap_lift")
    assert (event.actor, event.after) == (global_admin, {"cap_lifted_on": DAY.isoformat()})


def test_the_cap_tripping_notifies_once_that_day(office, global_admin):
    controls(office, alert_enabled=True, daily_amount="2.00", stop_at_cap=True)
    calls_on(office, DAY, 2)
    verdict = spend_check(tenant=office, at=local(DAY, 12))
    assert verdict.cap_reached
    calls_on(office, DAY, 2, hour=14)
    spend_check(tenant=office, at=local(DAY, 16))
    notice = cap_notices(office).get()
    assert notice.params["daily_amount"] == "2.0000"
    # The amount is the cap's: the cap's message says so, no second email about it.
    assert not anomalies(office).exists()
    with translation.override("en"):
        rendered = notification_render(notice)
    assert rendered.subject == "Daily spend cap reached: paid calls stopped"
    assert "$2.00" in rendered.lines[0]


def test_authorization_with_a_cap_costs_the_same_however_many_calls(
    office, django_assert_max_num_queries
):
    controls(office, alert_enabled=False, daily_amount="1000", stop_at_cap=True)
    calls_on(office, DAY, 2)
    with django_assert_max_num_queries(12) as first:
        assert authorize(office, local(DAY, 20)).allowed
    calls_on(office, DAY, 30, hour=12)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert authorize(office, local(DAY, 21)).allowed


# ---------------------------------------------------------------------- settings, page


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"multiplier": ""}, "multiplier"),
        ({"multiplier": "-3"}, "multiplier"),
        ({"multiplier": "1.4"}, "multiplier"),
        ({"multiplier": "100.5"}, "multiplier"),
        ({"multiplier": "2.55"}, "multiplier"),
        ({"multiplier": "three"}, "multiplier"),
        ({"multiplier": "1e2"}, "multiplier"),
        ({"daily_amount": "-5"}, "daily_amount"),
        ({"daily_amount": "0"}, "daily_amount"),
        ({"daily_amount": "100000.01"}, "daily_amount"),
        ({"daily_amount": "10.123"}, "daily_amount"),
        ({"daily_amount": "ten"}, "daily_amount"),
        ({"stop_at_cap": "on", "daily_amount": ""}, "daily_amount"),
    ],
)
def test_the_page_explains_bad_values_and_saves_nothing(client, billing_admin, values, field):
    client.force_login(billing_admin)
    data = {"alert_enabled": "on", "multiplier": "3", "daily_amount": "", **values}
    response = client.post(reverse("credits:spend_controls"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not SpendControls.objects.exists()
    assert not AuditEvent.objects.filter(action="credits.spend_controls_update").exists()


def test_the_page_saves_the_controls_audited(client, billing_admin, tenant):
    client.force_login(billing_admin)
    response = client.post(reverse("credits:spend_controls"), {
        "alert_enabled": "on", "multiplier": "2.5", "daily_amount": "1,250.50",
        "stop_at_cap": "on",
    })
    assert response.status_code == 302
    saved = SpendControls.objects.get(tenant=tenant)
    assert (saved.alert_enabled, saved.multiplier, saved.daily_amount, saved.stop_at_cap) == (
        True, Decimal("2.5"), Decimal("1250.5"), True
    )
    event = AuditEvent.objects.get(action="credits.spend_controls_update")
    assert event.actor == billing_admin
    assert event.after["daily_amount"] == "1250.5000"
    page = client.get(reverse("credits:spend_controls"))
    assert 'value="1250.5"' in page.content.decode()


def test_the_page_offers_lift_for_today_when_the_cap_stops_calls(client, office, global_admin):
    controls(office, alert_enabled=False, daily_amount="1.00", stop_at_cap=True)
    now = datetime.now(UTC).replace(microsecond=0)
    import_rows(office, [record(upn="cy@contoso.example", destination=GB_MOBILE,
                                start=now - timedelta(minutes=11), seconds=600)])
    client.force_login(global_admin)
    body = client.get(reverse("credits:spend_controls")).content.decode()
    assert 'id="spend-capped"' in body and 'id="spend-lift"' in body
    response = client.post(reverse("credits:spend_cap_lift"))
    assert response.status_code == 302
    body = client.get(reverse("credits:spend_controls")).content.decode()
    assert 'id="spend-capped"' not in body and 'id="spend-lifted"' in body


def test_a_global_reader_sees_the_controls_read_only(client, tenant):
    reader = AdminFactory(tenant=tenant, roles=["global_reader"])
    client.force_login(reader)
    body = client.get(reverse("credits:spend_controls")).content.decode()
    assert 'id="spend-read-only"' in body and 'id="spend-save"' not in body
    assert client.post(reverse("credits:spend_controls"), {"multiplier": "3"}).status_code == 403


def test_the_page_costs_a_fixed_number_of_queries(
    client, office, global_admin, django_assert_max_num_queries
):
    controls(office, alert_enabled=True, daily_amount="1000", stop_at_cap=True)
    client.force_login(global_admin)
    client.get(reverse("credits:spend_controls"))
    baseline(office)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("credits:spend_controls")).status_code == 200


def test_the_anomaly_message_says_why_the_spend_is_unusual(office, global_admin):
    baseline(office)
    controls(office)
    calls_on(office, DAY, 5)
    spend_check(tenant=office, at=local(DAY, 20))
    notification = anomalies(office).get()
    with translation.override("en"):
        english = notification_render(notification)
    assert english.subject == "Unusual Communications Credits spend"
    assert "more than 3.0 times the daily average" in english.lines[1]


def test_the_authorize_api_answers_daily_cap_reached(client, office):
    token = api_token_create(tenant=office, name="SBC")[1]
    controls(office, alert_enabled=False, daily_amount="1.00", stop_at_cap=True)
    now = datetime.now(UTC).replace(microsecond=0)
    import_rows(office, [record(upn="cy@contoso.example", destination=GB_MOBILE,
                                start=now - timedelta(minutes=11), seconds=600)])
    body = {"upn": "cy@contoso.example", "call_type": "user_out",
            "destination_number": GB_MOBILE}
    answer = client.post("/api/v1/calls/authorize", data=json.dumps(body),
                         content_type="application/json",
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert (answer.json()["allowed"], answer.json()["code"]) == (False, "daily_cap_reached")
    assert "lifts the cap" in answer.json()["reason"]


def test_the_page_answers_htmx_with_its_form_only(client, global_admin):
    client.force_login(global_admin)
    response = client.get(reverse("credits:spend_controls"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="spend-form-card"' in body and "<html" not in body


def test_late_evening_calls_imported_after_midnight_alert_for_their_own_day(office):
    controls(office, daily_amount="2.00")
    calls_on(office, DAY, 3, hour=21)  # 21:00 to 21:32 in Los Angeles
    after_midnight = local(DAY + timedelta(days=1), 0, 30)
    verdict = spend_check(
        tenant=office, at=after_midnight, first=local(DAY, 21), last=local(DAY, 21, 22)
    )
    assert verdict.over_amount
    assert anomalies(office).get().params["day"] == DAY.isoformat()
    # Older history is not judged again.
    calls_on(office, DAY - timedelta(days=5), 3)
    older = DAY - timedelta(days=5)
    assert spend_check(
        tenant=office, at=after_midnight, first=local(older, 9), last=local(older, 9, 22)
    ) is None
    assert anomalies(office).count() == 1
