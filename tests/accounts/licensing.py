"""Helpers for the Active users and license tests: subscriptions and many users, fast."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from accounts.models import LicenseAssignment, Product, Subscription, SubscriptionStatus, User
from tests.accounts.factories import product

CREDITS = Product.COMMUNICATIONS_CREDITS
CONFERENCING = Product.AUDIO_CONFERENCING
E5 = Product.MICROSOFT_365_E5
PHONE = Product.PHONE_SYSTEM


def subscribe(tenant, code: str, seats: int = 10, status=SubscriptionStatus.ACTIVE):
    return Subscription.objects.create(
        tenant=tenant, product=product(code), seats=seats, status=status
    )


def bulk_users(tenant, count: int, *, prefix: str = "bulk", **fields) -> list[User]:
    """``count`` users in one INSERT (factories would take minutes for 10,000)."""
    password = make_password(None)
    fields.setdefault("usage_location", tenant.country)
    User.objects.bulk_create(
        [
            User(
                tenant=tenant,
                username=f"{prefix}{n:05d}@{tenant.slug}.example",
                display_name=f"{prefix.title()} User {n:05d}",
                password=password,
                **fields,
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    return list(
        User.objects.filter(tenant=tenant, username__startswith=prefix).order_by("username")
    )


def give(users, code: str) -> None:
    item = product(code)
    LicenseAssignment.objects.bulk_create(
        [LicenseAssignment(user=u, product=item) for u in users], batch_size=2000
    )


def codes_of(user) -> set[str]:
    return set(LicenseAssignment.objects.filter(user=user).values_list("product__code", flat=True))
