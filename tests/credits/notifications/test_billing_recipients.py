"""Billing notifications: who gets the billing emails beyond the notified roles (chosen
admins, up to 5 extra addresses), each admin's opt-outs (never of the critical kinds),
audited; and the recipients ``notification_create`` computes from them."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import AdminRole, AuditEvent
from credits.exceptions import NotificationSettingsInvalid
from credits.models import BillingRecipient, Notification, NotificationKind, NotificationOptOut
from credits.notifications.choices import CRITICAL_KINDS, OPTIONAL_KINDS
from credits.notifications.preferences import (
    billing_recipients_update,
    notification_opt_outs_update,
)
from credits.notifications.services import notification_create, notification_recipients
from tests.accounts.factories import AdminFactory
from tests.html_text import parse

pytestmark = pytest.mark.django_db

URL = "/billing/notifications/"
MINE = "/billing/notifications/mine/"


def _emails(tenant, kind) -> list[str]:
    return [r["email"] for r in notification_recipients(tenant, kind)]


@pytest.fixture
def reader(tenant):
    return AdminFactory(tenant=tenant, username="reader@contoso.example",
                        display_name="Grady Archie", roles=[AdminRole.GLOBAL_READER])


# -------------------------------------------------------------- the recipients computed


def test_recipients_are_notified_admins_plus_chosen_admins_plus_addresses_less_opt_outs(
    tenant, global_admin, billing_admin, reports_reader, reader, plain_user
):
    assert _emails(tenant, NotificationKind.BALANCE_LOW) == [
        billing_admin.username, global_admin.username,  # by display name: Alex, Megan
    ]
    billing_recipients_update(
        tenant=tenant, acting_user=global_admin, admin_ids=[reader.pk],
        addresses=["finance@contoso.example", "Admin@Contoso.example"],
    )
    notification_opt_outs_update(user=billing_admin, kinds=[NotificationKind.BALANCE_LOW])
    assert _emails(tenant, NotificationKind.BALANCE_LOW) == [
        reader.username, global_admin.username,
        "finance@contoso.example",  # Admin@... is Megan's: once
    ]
    # Alex still gets the kinds he did not turn off, and every critical one.
    assert billing_admin.username in _emails(tenant, NotificationKind.RECHARGE_SUCCEEDED)
    assert billing_admin.username in _emails(tenant, NotificationKind.RECHARGE_FAILED)
    # Lidia (Reports Reader, not chosen) and Adele (no admin role) never do.
    everyone = _emails(tenant, NotificationKind.RECHARGE_FAILED)
    assert reports_reader.username not in everyone and plain_user.username not in everyone


def test_a_chosen_admin_who_lost_their_roles_or_was_blocked_gets_nothing(
    tenant, global_admin, reader
):
    billing_recipients_update(tenant=tenant, acting_user=global_admin, admin_ids=[reader.pk],
                              addresses=[])
    reader.role_assignments.all().delete()
    assert reader.username not in _emails(tenant, NotificationKind.BALANCE_LOW)


def test_another_tenants_settings_never_add_recipients(
    tenant, other_tenant, global_admin, other_tenant_admin
):
    billing_recipients_update(tenant=other_tenant, acting_user=other_tenant_admin, admin_ids=[],
                              addresses=["fabrikam-finance@fabrikam.example"])
    assert _emails(tenant, NotificationKind.BALANCE_LOW) == [global_admin.username]


def test_an_extra_address_gets_the_email_in_the_console_default_language(
    tenant, global_admin, django_capture_on_commit_callbacks
):
    global_admin.language = "zh-hans"
    global_admin.save(update_fields=["language"])
    billing_recipients_update(tenant=tenant, acting_user=global_admin, admin_ids=[],
                              addresses=["finance@contoso.example"])
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_create(
            tenant=tenant, kind=NotificationKind.BALANCE_LOW, dedupe_key="low:1",
            params={"balance": "5", "threshold": "10", "currency": "USD", "at": ""},
        )
    languages = {m.to[0]: m.extra_headers["Content-Language"] for m in mail.outbox}
    assert languages == {global_admin.username: "zh-hans", "finance@contoso.example": "en"}
    finance = next(m for m in mail.outbox if m.to[0] == "finance@contoso.example")
    assert "Your Communications Credits balance is below $10.00" in finance.subject
    notification.refresh_from_db()
    assert {r["email"]: r["user_id"] for r in notification.recipients} == {
        global_admin.username: global_admin.pk, "finance@contoso.example": None,
    }


@pytest.mark.parametrize("admins", [2, 40])
def test_the_recipients_cost_the_same_queries_however_many_admins(
    tenant, global_admin, admins, django_assert_num_queries
):
    chosen = [AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER]) for _ in range(admins)]
    for user in chosen[: admins // 2]:
        NotificationOptOut.objects.create(tenant=tenant, user=user,
                                          kind=NotificationKind.BALANCE_LOW)
    billing_recipients_update(tenant=tenant, acting_user=global_admin,
                              admin_ids=[u.pk for u in chosen], addresses=["a@b.example"])
    with django_assert_num_queries(2):  # the admins, the addresses
        recipients = notification_recipients(tenant, NotificationKind.BALANCE_LOW)
    assert len(recipients) == 1 + admins - admins // 2 + 1


# ---------------------------------------------------------------------- the services


def test_no_one_can_opt_out_of_a_critical_kind(tenant, billing_admin):
    for kind in sorted(CRITICAL_KINDS):
        with pytest.raises(NotificationSettingsInvalid) as refused:
            notification_opt_outs_update(user=billing_admin, kinds=[kind])
        assert "always sent" in refused.value.errors["kinds"]
    assert not NotificationOptOut.objects.exists()
    assert NotificationKind.RECHARGE_FAILED not in OPTIONAL_KINDS
    # The database refuses it as well.
    with pytest.raises(Exception):  # noqa: B017, PT011 - IntegrityError from the check
        NotificationOptOut.objects.create(tenant=tenant, user=billing_admin,
                                          kind=NotificationKind.RECHARGE_FAILED)


def test_opt_outs_are_audited_and_replace_the_previous_choice(tenant, billing_admin):
    assert notification_opt_outs_update(
        user=billing_admin,
        kinds=[NotificationKind.EXPIRY_REMINDER, NotificationKind.RECHARGE_SUCCEEDED],
    )
    assert notification_opt_outs_update(user=billing_admin, kinds=[NotificationKind.BALANCE_LOW])
    assert not notification_opt_outs_update(user=billing_admin,
                                            kinds=[NotificationKind.BALANCE_LOW])
    assert list(NotificationOptOut.objects.values_list("kind", flat=True)) == ["balance_low"]
    events = list(AuditEvent.objects.filter(action="credits.notification_opt_outs_update")
                  .order_by("pk"))
    assert len(events) == 2
    assert events[1].actor == billing_admin and events[1].tenant == tenant
    assert events[1].before == {"opted_out": ["expiry_reminder", "recharge_succeeded"]}
    assert events[1].after == {"opted_out": ["balance_low"]}


def test_recipients_are_audited(tenant, global_admin, reader):
    billing_recipients_update(tenant=tenant, acting_user=global_admin, admin_ids=[reader.pk],
                              addresses=["finance@contoso.example"])
    assert not billing_recipients_update(
        tenant=tenant, acting_user=global_admin, admin_ids=[reader.pk],
        addresses=[" finance@contoso.example "],
    )
    billing_recipients_update(tenant=tenant, acting_user=global_admin, admin_ids=[],
                              addresses=[])
    events = list(AuditEvent.objects.filter(action="credits.billing_recipients_update")
                  .order_by("pk"))
    assert len(events) == 2
    assert events[0].before == {"admins": [], "addresses": []}
    assert events[0].after == {"admins": [reader.username],
                               "addresses": ["finance@contoso.example"]}
    assert events[1].after == {"admins": [], "addresses": []}
    assert events[1].actor == global_admin and events[1].tenant == tenant
    assert not BillingRecipient.objects.exists()


def test_at_most_five_addresses(tenant, global_admin):
    six = [f"finance{n}@contoso.example" for n in range(6)]
    with pytest.raises(NotificationSettingsInvalid) as refused:
        billing_recipients_update(tenant=tenant, acting_user=global_admin, admin_ids=[],
                                  addresses=six)
    assert refused.value.errors["addresses"] == "Enter at most 5 addresses; you entered 6."
    assert billing_recipients_update(tenant=tenant, acting_user=global_admin, admin_ids=[],
                                     addresses=six[:5] + [six[0].upper()])
    assert BillingRecipient.objects.count() == 5


def test_another_tenants_admin_cannot_be_chosen(tenant, global_admin, other_tenant_admin):
    with pytest.raises(NotificationSettingsInvalid):
        billing_recipients_update(tenant=tenant, acting_user=global_admin,
                                  admin_ids=[other_tenant_admin.pk], addresses=[])
    assert not BillingRecipient.objects.exists()


# ------------------------------------------------------------------------ the pages


@pytest.fixture
def billing_client(client, billing_admin):
    client.force_login(billing_admin)
    return client


def test_the_page_lists_the_notified_admins_and_offers_the_others(
    billing_client, global_admin, billing_admin, reader, reports_reader, plain_user
):
    page = parse(billing_client.get(URL).content)
    notified = page.by_id("billing-notified-list").text
    assert "Megan Bowen" in notified and "Alex Wilber" in notified
    assert "Grady Archie" not in notified
    form = page.by_id("billing-recipients-form").text
    assert "Grady Archie" in form and "Lidia Holloway" in form
    assert "Megan Bowen" not in form and "Adele Vance" not in form
    critical = page.by_id("billing-critical-kinds").text
    assert "Auto-recharge failed" in critical and "Balance reached zero" in critical


def test_saving_recipients_on_the_page(billing_client, tenant, reader):
    response = billing_client.post(URL, {
        "admins": [str(reader.pk)],
        "addresses": "finance@contoso.example\nap@contoso.example, finance@contoso.example",
    })
    assert response.status_code == 302 and response["Location"] == URL
    assert sorted(BillingRecipient.objects.exclude(email="").values_list("email", flat=True)) == [
        "ap@contoso.example", "finance@contoso.example",
    ]
    assert BillingRecipient.objects.filter(user=reader).exists()
    page = billing_client.get(URL).content.decode()
    assert "Billing email recipients saved." in page and "ap@contoso.example" in page


@pytest.mark.parametrize(
    ("addresses", "message"),
    [
        ("finance@contoso", "“finance@contoso” is not a valid email address."),
        ("not an address", "“not” is not a valid email address."),
        ("a@x.example b@x.example c@x.example d@x.example e@x.example f@x.example",
         "Enter at most 5 addresses; you entered 6."),
        ("x" * 250 + "@contoso.example", "is not a valid email address."),
    ],
)
def test_wrong_addresses_are_explained_and_nothing_is_saved(billing_client, addresses, message):
    response = billing_client.post(URL, {"addresses": addresses})
    assert response.status_code == 200
    assert message in parse(response.content).by_id("billing-recipients-form").text
    assert not BillingRecipient.objects.exists()
    assert not AuditEvent.objects.filter(action="credits.billing_recipients_update").exists()


def test_an_admin_of_another_tenant_posted_by_id_is_refused(
    billing_client, other_tenant_admin, reader
):
    response = billing_client.post(URL, {"admins": [str(other_tenant_admin.pk)]})
    assert response.status_code == 200
    assert "is not one of the available choices" in response.content.decode()
    response = billing_client.post(URL, {"admins": ["abc"]})
    assert response.status_code == 200
    assert not BillingRecipient.objects.exists()


def test_a_global_reader_sees_the_recipients_without_the_form(client, reader, tenant,
                                                              global_admin):
    billing_recipients_update(tenant=tenant, acting_user=global_admin, admin_ids=[],
                              addresses=["finance@contoso.example"])
    client.force_login(reader)
    page = parse(client.get(URL).content)
    assert page.by_id("billing-addresses").text == "finance@contoso.example"
    assert 'id="billing-recipients-form"' not in client.get(URL).content.decode()
    assert client.post(URL, {"addresses": ""}).status_code == 403
    assert BillingRecipient.objects.count() == 1


@pytest.mark.parametrize("admins", [3, 30])
def test_the_page_does_not_grow_with_admins(
    billing_client, tenant, admins, django_assert_max_num_queries
):
    for _ in range(admins):
        AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER])
        AdminFactory(tenant=tenant, roles=[AdminRole.TEAMS_ADMIN])
    billing_client.get(URL)
    with django_assert_max_num_queries(10):
        assert billing_client.get(URL).status_code == 200


def test_each_admin_chooses_their_own_emails(client, tenant, license_admin):
    client.force_login(license_admin)
    page = parse(client.get(MINE).content)
    form = page.by_id("notification-preferences-form").text
    assert "Auto-recharge succeeded" in form and "Balance below the alert threshold" in form
    critical = page.by_id("notification-critical-kinds").text
    assert "Auto-recharge failed" in critical
    receive = [k for k in OPTIONAL_KINDS if k != NotificationKind.EXPIRY_REMINDER]
    response = client.post(MINE, {"receive": receive})
    assert response.status_code == 302
    assert list(NotificationOptOut.objects.values_list("user_id", "kind")) == [
        (license_admin.pk, "expiry_reminder")
    ]
    assert license_admin.username not in _emails(tenant, NotificationKind.EXPIRY_REMINDER)
    assert license_admin.username in _emails(tenant, NotificationKind.BALANCE_LOW)


def test_posting_a_critical_kind_does_not_opt_out_of_it(client, tenant, billing_admin):
    client.force_login(billing_admin)
    response = client.post(MINE, {"receive": ["recharge_failed"]})
    assert response.status_code == 200
    assert "is not one of the available choices" in response.content.decode()
    client.post(MINE, {"receive": []})
    assert "recharge_failed" not in set(NotificationOptOut.objects.values_list("kind", flat=True))
    assert set(NotificationOptOut.objects.values_list("kind", flat=True)) == set(OPTIONAL_KINDS)
    assert billing_admin.username in _emails(tenant, NotificationKind.RECHARGE_FAILED)


def test_the_nav_and_the_message_center_link_to_the_pages(billing_client):
    home = billing_client.get("/").content.decode()
    assert f'href="{URL}"' in home
    center = parse(billing_client.get("/message-center/").content)
    assert center.by_id("your-billing-emails").attrs["href"] == MINE


def test_a_directory_user_without_a_role_gets_403(client, plain_user):
    client.force_login(plain_user)
    assert client.get(MINE).status_code == 403
    assert client.get(URL).status_code == 403


def test_notification_create_records_the_computed_recipients(tenant, global_admin, reader):
    billing_recipients_update(tenant=tenant, acting_user=global_admin, admin_ids=[reader.pk],
                              addresses=["finance@contoso.example"])
    notification_create(tenant=tenant, kind=NotificationKind.BALANCE_ZERO, dedupe_key="z",
                        params={"balance": "0", "currency": "USD"})
    recipients = Notification.objects.get().recipients
    assert [r["email"] for r in recipients] == [
        reader.username, global_admin.username, "finance@contoso.example"
    ]
