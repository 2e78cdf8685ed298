"""Each admin's language and each tenant's time zone (README, "Languages and time zones"):
the header's language menu stores the choice on the admin, their other browsers follow
it, the browser decides while they have none; times on screen are in the tenant's zone,
with the zone named; exports stay UTC."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.demo import DEMO_TENANTS, SeedResult, seed_tenant
from accounts.models import AuditEvent, Tenant
from accounts.services.language import user_language_set
from accounts.shell.locale import user_language, zone_for
from credits.models import DeliveryStatus, Notification, NotificationKind

SET_LANGUAGE = reverse("set_language")
MESSAGE_CENTER = "/message-center/"


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_switching_the_language_stores_it_on_the_admin_and_in_the_cookie(
    admin_client, global_admin
):
    response = admin_client.post(SET_LANGUAGE, {"language": "zh-hans", "next": "/"})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    global_admin.refresh_from_db()
    assert global_admin.language == "zh-hans"
    event = AuditEvent.objects.get(action="accounts.user_language_set")
    assert (event.actor, event.before, event.after) == (
        global_admin, {"language": ""}, {"language": "zh-hans"}
    )
    page = admin_client.get("/")
    assert page["Content-Language"] == "zh-hans" and html_lang(page) == "zh-hans"


def test_a_fresh_session_in_another_browser_gets_the_stored_language(db, global_admin):
    global_admin.language = "zh-hant"
    global_admin.save(update_fields=["language"])
    other_browser = Client(headers={"Accept-Language": "en"})  # no language cookie
    other_browser.force_login(global_admin)

    page = other_browser.get("/")

    assert page.status_code == 200
    assert page["Content-Language"] == "zh-hant" and html_lang(page) == "zh-hant"
    selected = re.search(r'<option value="([^"]+)" selected>', page.content.decode())
    assert selected.group(1) == "zh-hant"  # the header's menu shows it


@pytest.mark.parametrize("accept", ["zh-hans", "zh-hant", "en"])
def test_the_browsers_language_decides_while_the_admin_has_none(db, global_admin, accept):
    assert global_admin.language == ""
    browser = Client(headers={"Accept-Language": accept})
    browser.force_login(global_admin)

    page = browser.get("/")

    assert page["Content-Language"] == accept and html_lang(page) == accept


def test_a_stranger_switching_the_language_gets_only_the_cookie(db, client):
    response = client.post(SET_LANGUAGE, {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert not AuditEvent.objects.filter(action="accounts.user_language_set").exists()
    assert client.get("/accounts/login/")["Content-Language"] == "zh-hans"


@pytest.mark.parametrize("language", ["", "xx", "fr", "zh-hans" * 10, "<script>"])
def test_a_language_the_console_lacks_changes_nothing(admin_client, global_admin, language):
    response = admin_client.post(SET_LANGUAGE, {"language": language, "next": "/"})
    assert response.status_code == 302
    global_admin.refresh_from_db()
    assert global_admin.language == ""
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_browsers_language_forgets_the_choice_and_the_cookie(db, global_admin):
    browser = Client(headers={"Accept-Language": "zh-hant"})
    browser.force_login(global_admin)
    browser.post(SET_LANGUAGE, {"language": "zh-hans", "next": "/"})
    assert html_lang(browser.get("/")) == "zh-hans"

    response = browser.post(SET_LANGUAGE, {"language": "browser", "next": "/reports/pstn-usage/"})

    assert (response.status_code, response["Location"]) == (302, "/reports/pstn-usage/")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    global_admin.refresh_from_db()
    assert global_admin.language == ""
    assert AuditEvent.objects.filter(
        action="accounts.user_language_set", after={"language": ""}
    ).exists()
    page = browser.get("/")
    assert html_lang(page) == "zh-hant"  # the browser decides again
    selected = re.findall(r'<option value="([^"]+)" selected>', page.content.decode())
    assert selected == ["browser"]


def test_browsers_language_refuses_a_next_on_another_host(admin_client, global_admin):
    response = admin_client.post(
        SET_LANGUAGE, {"language": "browser", "next": "https://evil.example/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/")


def test_a_stranger_choosing_browsers_language_only_loses_the_cookie(db, client):
    client.post(SET_LANGUAGE, {"language": "zh-hans", "next": "/accounts/login/"})
    response = client.post(SET_LANGUAGE, {"language": "browser", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""
    assert client.get("/accounts/login/", headers={"accept-language": "en"})[
        "Content-Language"] == "en"


def test_switching_takes_only_post(admin_client, global_admin):
    assert admin_client.get(SET_LANGUAGE, {"language": "zh-hans"}).status_code == 405
    global_admin.refresh_from_db()
    assert global_admin.language == ""


def test_setting_the_same_language_again_is_not_audited_twice(global_admin):
    user_language_set(user=global_admin, language="zh-hans")
    user_language_set(user=global_admin, language="zh-hans")
    user_language_set(user=global_admin, language="")  # back to the browser's
    assert list(
        AuditEvent.objects.filter(action="accounts.user_language_set")
        .order_by("pk").values_list("after", flat=True)
    ) == [{"language": "zh-hans"}, {"language": ""}]


def test_an_admin_without_a_language_reads_emails_in_the_default(global_admin):
    assert user_language(global_admin) == settings.LANGUAGE_CODE == "en"
    global_admin.language = "zh-hans"
    assert user_language(global_admin) == "zh-hans"


# --- the tenant's time zone -------------------------------------------------------------


def _sent_at(tenant, when: datetime) -> Notification:
    return Notification.objects.create(
        tenant=tenant, kind=NotificationKind.BALANCE_ZERO, dedupe_key=f"tz-{when}",
        subject="Your Communications Credits balance reached zero",
        params={"balance": "0", "currency": "USD"}, status=DeliveryStatus.SENT,
        created_at=when,
    )


def test_times_on_a_page_are_in_the_tenants_zone_with_the_zone_named(admin_client, tenant):
    tenant.time_zone = "America/New_York"
    tenant.save(update_fields=["time_zone"])
    _sent_at(tenant, datetime(2026, 1, 15, 19, 5, tzinfo=UTC))  # 14:05 in New York (EST)
    _sent_at(tenant, datetime(2026, 7, 15, 19, 5, tzinfo=UTC))  # 15:05 in New York (EDT)

    page = admin_client.get(MESSAGE_CENTER).content.decode()

    assert "Jan 15, 2026, 14:05 EST" in page
    assert "Jul 15, 2026, 15:05 EDT" in page
    assert "19:05" not in page
    assert "Times in America/New_York" in page  # the header says which zone


def test_a_chinese_reader_sees_the_same_moment_in_the_chinese_format(
    admin_client, tenant, global_admin
):
    tenant.time_zone = "Europe/London"
    tenant.save(update_fields=["time_zone"])
    global_admin.language = "zh-hans"
    global_admin.save(update_fields=["language"])
    _sent_at(tenant, datetime(2026, 7, 15, 19, 5, tzinfo=UTC))

    page = admin_client.get(MESSAGE_CENTER).content.decode()

    assert "2026年7月15日 20:05 BST" in page


def test_a_tenant_in_utc_sees_utc(admin_client, tenant):
    _sent_at(tenant, datetime(2026, 1, 15, 19, 5, tzinfo=UTC))
    page = admin_client.get(MESSAGE_CENTER).content.decode()
    assert "Jan 15, 2026, 19:05 UTC" in page and "Times in UTC" in page


def test_the_zone_lasts_only_for_the_request(admin_client, tenant):
    tenant.time_zone = "Asia/Tokyo"
    tenant.save(update_fields=["time_zone"])
    admin_client.get("/")
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE == "UTC"


def test_one_date_and_one_date_time_format_per_language():
    moment = datetime(2026, 11, 30, 19, 5, tzinfo=UTC)
    with timezone.override(zone_for("America/New_York")):
        local = timezone.localtime(moment)
        expected = {
            "en": ("Nov 30, 2026", "Nov 30, 2026, 14:05 EST"),
            "zh-hans": ("2026年11月30日", "2026年11月30日 14:05 EST"),
            "zh-hant": ("2026年11月30日", "2026年11月30日 14:05 EST"),
        }
        for language, (day, day_time) in expected.items():
            with translation.override(language):
                assert formats.date_format(local, "DATE_FORMAT") == day
                assert formats.date_format(local, "DATETIME_FORMAT") == day_time


def test_an_unknown_zone_name_falls_back_to_utc():
    assert zone_for("Mars/Olympus_Mons").key == "UTC"
    assert zone_for("").key == "UTC"


def test_the_demo_tenants_have_their_time_zones(db):
    zones = {}
    for spec in DEMO_TENANTS:
        small = dataclasses.replace(spec, users=0, subscriptions={})
        zones[spec.slug] = seed_tenant(small, password_hash="!", result=SeedResult()).time_zone
    assert zones == {
        "contoso": "America/New_York", "fabrikam": "Europe/London",
        "northwind": "Europe/Berlin",
    }
    assert Tenant.objects.get(slug="contoso").time_zone == "America/New_York"
