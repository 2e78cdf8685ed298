"""``seed_demo --users N``: Contoso at scale, for trying Active users with many users."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from accounts.models import LicenseAssignment, Tenant, User


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--password", "demo-password-1", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_users_option_adds_that_many_users_to_contoso_once():
    baseline = seed()
    contoso = Tenant.objects.get(slug="contoso")
    before = User.objects.filter(tenant=contoso).count()

    first = seed("--users", "60")
    again = seed("--users", "60")

    assert "0 users created" not in baseline
    # The demo's licenses keep their user's tenant (what Home counts them by).
    assert LicenseAssignment.objects.filter(tenant=contoso).exists()
    assert not LicenseAssignment.objects.exclude(tenant=F("user__tenant")).exists()
    assert "60 users created" in first
    assert "0 users created" in again
    generated = User.objects.filter(tenant=contoso, username__startswith="person")
    assert generated.count() == 60
    assert User.objects.filter(tenant=contoso).count() == before + 60
    assert generated.filter(usage_location="").count() == 2  # every 25th has none yet
    assert User.objects.filter(tenant__slug="fabrikam", username__startswith="person").count() == 0
    # Growing the number adds only the missing ones.
    assert "15 users created" in seed("--users", "75")


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["-1", "100001"])
def test_users_option_must_be_reasonable(value):
    with pytest.raises(CommandError, match="--users must be between 0 and 100,000"):
        seed("--users", value)


@pytest.mark.django_db
def test_users_option_must_be_a_number():
    with pytest.raises(CommandError, match="invalid int value"):
        seed("--users", "many")
