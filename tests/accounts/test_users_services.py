"""user_set_usage_location: validated, audited, never leaving a licensed user without one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.exceptions import AccountsError, UsageLocationRequired
from accounts.models import AuditEvent
from accounts.services import user_set_usage_location
from tests.accounts.factories import UserFactory
from tests.accounts.licensing import CREDITS, give, subscribe


@pytest.fixture
def lee(tenant):
    subscribe(tenant, CREDITS)
    return UserFactory(tenant=tenant, display_name="Lee Gu", username="lee@contoso.example")


def test_sets_and_audits(lee, license_admin):
    user_set_usage_location(user=lee, usage_location=" ca ", acting_user=license_admin)

    lee.refresh_from_db()
    assert lee.usage_location == "CA"
    event = AuditEvent.objects.get()
    assert (event.action, event.target, event.actor) == (
        "user.usage_location",
        "lee@contoso.example",
        license_admin,
    )


def test_same_value_is_a_no_op(lee, license_admin):
    user_set_usage_location(user=lee, usage_location="US", acting_user=license_admin)
    assert not AuditEvent.objects.exists()


def test_clearing_is_refused_while_the_user_holds_licenses(lee, license_admin):
    give([lee], CREDITS)
    with pytest.raises(UsageLocationRequired, match=r"Lee Gu \(lee@contoso.example\) has"):
        user_set_usage_location(user=lee, usage_location="", acting_user=license_admin)
    lee.refresh_from_db()
    assert lee.usage_location == "US"


def test_clearing_is_allowed_without_licenses(lee, license_admin):
    user_set_usage_location(user=lee, usage_location="", acting_user=license_admin)
    lee.refresh_from_db()
    assert lee.usage_location == ""


@pytest.mark.parametrize("value", ["ZZ", "USA", "1", "U$"])
def test_unknown_countries_are_refused(lee, license_admin, value):
    with pytest.raises(ValidationError):
        user_set_usage_location(user=lee, usage_location=value, acting_user=license_admin)
    assert not AuditEvent.objects.exists()


def test_admin_of_another_tenant_is_refused(lee, other_tenant_admin):
    with pytest.raises(AccountsError, match="only in your own organization"):
        user_set_usage_location(user=lee, usage_location="FR", acting_user=other_tenant_admin)
    lee.refresh_from_db()
    assert lee.usage_location == "US"
