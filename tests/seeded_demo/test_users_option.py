"""``seed_demo --users N``: Contoso at scale, for trying Active users with many users."""

from __future__ import annotations

import pytest
from django.db.models import F

from accounts.models import LicenseAssignment, Tenant, User

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded_demo")]


def test_users_option_adds_that_many_users_to_contoso_once(seeded_demo, seed_again):
    baseline = seeded_demo
    contoso = Tenant.objects.get(slug="contoso")
    before = User.objects.filter(tenant=contoso).count()

    first = seed_again("--users", "60")
    again = seed_again("--users", "60")

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
    assert "15 users created" in seed_again("--users", "75")
