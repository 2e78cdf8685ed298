from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.models import (
    AdminRole,
    LicenseAssignment,
    Product,
    RoleAssignment,
    Subscription,
    Tenant,
    TenantDomain,
    User,
)

TEST_PASSWORD = "correct horse battery staple"


class TenantFactory(DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")
    country = "US"
    currency = "USD"

    @factory.post_generation
    def domains(self, create, extracted, **kwargs):
        """The verified domain of the usernames the factories give (``<slug>.example``),
        plus any in ``domains=[...]``."""
        if create:
            for name in [f"{self.slug}.example", *(extracted or [])]:
                TenantDomain.objects.get_or_create(name=name, defaults={"tenant": self})


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    username = factory.LazyAttributeSequence(lambda o, n: f"user{n}@{o.tenant.slug}.example")
    display_name = factory.Sequence(lambda n: f"User {n}")
    usage_location = factory.LazyAttribute(lambda o: o.tenant.country)
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            for role in extracted:
                RoleAssignment.objects.create(user=self, role=role)
        if create:
            self.save()


class AdminFactory(UserFactory):
    """A tenant admin; pass ``roles=[...]`` to choose, default Global Administrator."""

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create:
            for role in extracted or [AdminRole.GLOBAL_ADMIN]:
                RoleAssignment.objects.create(user=self, role=role)
            self.save()


class StaffFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    tenant = None
    username = factory.Sequence(lambda n: f"staff{n}@console.example")
    display_name = factory.Sequence(lambda n: f"Staff {n}")
    is_staff = True
    is_superuser = True
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):
        if create:
            self.save()


def product(code: str) -> Product:
    """Catalog products come from the data migration; tests look them up by code."""
    return Product.objects.get(code=code)


class SubscriptionFactory(DjangoModelFactory):
    class Meta:
        model = Subscription

    tenant = factory.SubFactory(TenantFactory)
    product = factory.LazyFunction(lambda: product(Product.DOMESTIC_CALLING_PLAN))
    seats = 10


class LicenseAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = LicenseAssignment

    user = factory.SubFactory(UserFactory)
    product = factory.LazyFunction(lambda: product(Product.DOMESTIC_CALLING_PLAN))
