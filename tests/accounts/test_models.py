"""The accounts models: what the database refuses, what clean() refuses, the catalog."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import (
    AdminRole,
    LicenseAssignment,
    Product,
    ProductCategory,
    RoleAssignment,
    Subscription,
    User,
)
from tests.accounts.factories import (
    LicenseAssignmentFactory,
    StaffFactory,
    SubscriptionFactory,
    UserFactory,
    product,
)

pytestmark = pytest.mark.django_db


def _insert_user(**fields) -> User:
    """Insert a row straight through the ORM, without full_clean: only the database judges."""
    fields.setdefault("display_name", "Someone")
    with transaction.atomic():
        return User.objects.create(**fields)


# --- users: the database constraints -------------------------------------------------


def test_database_refuses_a_directory_user_without_a_tenant():
    with pytest.raises(IntegrityError, match="user_tenant_xor_staff"):
        _insert_user(username="nobody@nowhere.example", tenant=None, is_staff=False)


def test_database_refuses_platform_staff_with_a_tenant(tenant):
    with pytest.raises(IntegrityError, match="user_tenant_xor_staff"):
        _insert_user(username="staff@contoso.example", tenant=tenant, is_staff=True)


def test_database_refuses_a_superuser_who_is_not_staff(tenant):
    with pytest.raises(IntegrityError, match="user_superuser_is_staff"):
        _insert_user(
            username="root@contoso.example", tenant=tenant, is_staff=False, is_superuser=True
        )


def test_database_accepts_staff_without_tenant_and_users_with_one(tenant):
    staff = _insert_user(username="ops@console.example", tenant=None, is_staff=True)
    member = _insert_user(username="megan@contoso.example", tenant=tenant)
    assert staff.tenant is None and staff.is_staff
    assert member.tenant == tenant and not member.is_staff


@pytest.mark.parametrize("location", ["us", "U", "1A", "u5"])
def test_database_refuses_a_usage_location_that_is_not_two_capital_letters(tenant, location):
    with pytest.raises(IntegrityError, match="user_usage_location_iso2"):
        _insert_user(username="megan@contoso.example", tenant=tenant, usage_location=location)


@pytest.mark.parametrize("location", ["", "US", "GB"])
def test_database_accepts_an_empty_or_iso_usage_location(tenant, location):
    user = _insert_user(username="megan@contoso.example", tenant=tenant, usage_location=location)
    user.refresh_from_db()
    assert user.usage_location == location


def test_full_clean_explains_the_tenant_rule_in_words():
    user = User(username="nobody@nowhere.example", display_name="Nobody", tenant=None)
    with pytest.raises(ValidationError) as refused:
        user.full_clean(exclude=["password"])
    assert (
        "Platform staff belong to no tenant; every other user belongs to one."
        in refused.value.messages
    )


def test_full_clean_refuses_a_usage_location_that_is_not_a_country(tenant):
    user = User(
        username="megan@contoso.example", display_name="Megan", tenant=tenant, usage_location="ZZ"
    )
    with pytest.raises(ValidationError) as refused:
        user.full_clean(exclude=["password"])
    assert "usage_location" in refused.value.message_dict


# --- users: the sign-in name ---------------------------------------------------------


def test_create_user_stores_the_sign_in_name_in_lower_case(tenant):
    user = User.objects.create_user(
        "  Megan.Bowen@Contoso.EXAMPLE ", "pw", tenant=tenant, display_name="Megan Bowen"
    )
    user.refresh_from_db()
    assert user.username == "megan.bowen@contoso.example"
    assert User.objects.get_by_natural_key("MEGAN.BOWEN@contoso.example") == user


def test_create_user_refuses_a_name_that_differs_only_in_case(tenant):
    User.objects.create_user("megan@contoso.example", "pw", tenant=tenant, display_name="Megan")
    with pytest.raises(ValidationError) as refused:
        User.objects.create_user("MEGAN@contoso.example", "pw", tenant=tenant, display_name="M")
    assert "username" in refused.value.message_dict
    assert User.objects.filter(username__iexact="megan@contoso.example").count() == 1


def test_create_superuser_makes_platform_staff_without_tenant():
    staff = User.objects.create_superuser("Platform@Console.example", "pw")
    assert (staff.username, staff.tenant, staff.is_staff, staff.is_superuser) == (
        "platform@console.example",
        None,
        True,
        True,
    )


# --- role assignments ----------------------------------------------------------------


def test_database_refuses_the_same_role_twice_for_one_user(global_admin):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=global_admin, role=AdminRole.GLOBAL_ADMIN)
    assert global_admin.role_assignments.count() == 1


def test_a_user_may_hold_several_roles_and_a_role_several_users(global_admin, billing_admin):
    RoleAssignment.objects.create(user=global_admin, role=AdminRole.BILLING_ADMIN)
    assert RoleAssignment.objects.filter(role=AdminRole.BILLING_ADMIN).count() == 2
    assert set(global_admin.role_assignments.values_list("role", flat=True)) == {
        AdminRole.GLOBAL_ADMIN,
        AdminRole.BILLING_ADMIN,
    }


def test_database_refuses_a_role_that_does_not_exist(plain_user):
    with pytest.raises(IntegrityError, match="role_assignment_known_role"), transaction.atomic():
        RoleAssignment.objects.create(user=plain_user, role="supreme_leader")


# --- subscriptions and licenses ------------------------------------------------------


def test_database_refuses_a_second_subscription_to_the_same_product(tenant, other_tenant):
    SubscriptionFactory(tenant=tenant, product=product(Product.PHONE_SYSTEM))
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(tenant=tenant, product=product(Product.PHONE_SYSTEM), seats=5)
    # Another tenant may subscribe to the same product.
    SubscriptionFactory(tenant=other_tenant, product=product(Product.PHONE_SYSTEM))
    assert Subscription.objects.filter(product__code=Product.PHONE_SYSTEM).count() == 2


def test_database_refuses_the_same_license_twice_for_one_user(plain_user, global_admin):
    LicenseAssignmentFactory(user=plain_user, product=product(Product.COMMUNICATIONS_CREDITS))
    with pytest.raises(IntegrityError), transaction.atomic():
        LicenseAssignment.objects.create(
            user=plain_user, product=product(Product.COMMUNICATIONS_CREDITS)
        )
    # The same product for another user, or another product for the same user, is fine.
    LicenseAssignmentFactory(user=global_admin, product=product(Product.COMMUNICATIONS_CREDITS))
    LicenseAssignmentFactory(user=plain_user, product=product(Product.PHONE_SYSTEM))
    assert LicenseAssignment.objects.count() == 3


def test_license_needs_the_users_usage_location(tenant):
    user = UserFactory(tenant=tenant, display_name="Nestor Wilke", usage_location="")
    assignment = LicenseAssignment(user=user, product=product(Product.COMMUNICATIONS_CREDITS))
    with pytest.raises(ValidationError) as refused:
        assignment.full_clean()
    assert refused.value.messages == [
        "Nestor Wilke has no usage location; set it before assigning a license."
    ]


def test_license_is_refused_to_a_disabled_user(tenant):
    user = UserFactory(tenant=tenant, display_name="Pradeep Gupta", is_active=False)
    assignment = LicenseAssignment(user=user, product=product(Product.COMMUNICATIONS_CREDITS))
    with pytest.raises(ValidationError) as refused:
        assignment.full_clean()
    assert refused.value.messages == ["Pradeep Gupta is disabled and cannot be given a license."]


def test_license_is_refused_to_platform_staff():
    assignment = LicenseAssignment(
        user=StaffFactory(), product=product(Product.COMMUNICATIONS_CREDITS)
    )
    with pytest.raises(ValidationError) as refused:
        assignment.full_clean()
    assert refused.value.messages == ["Platform staff cannot be given product licenses."]


def test_license_for_an_enabled_user_with_a_usage_location_is_valid(plain_user):
    assignment = LicenseAssignment(user=plain_user, product=product(Product.COMMUNICATIONS_CREDITS))
    assignment.full_clean()  # raises if refused
    assignment.save()
    assert list(plain_user.licenses.values_list("product__code", flat=True)) == ["MCOPSTNC"]


# --- the catalog (data migration) ----------------------------------------------------


def test_catalog_migration_provides_the_six_products():
    assert set(Product.objects.values_list("code", flat=True)) == {
        "SPE_E5",
        "MCOEV",
        "MCOPSTN1",
        "MCOPSTN2",
        "MCOMEETADV",
        "MCOPSTNC",
    }
    names = dict(Product.objects.values_list("code", "name"))
    assert names["MCOPSTNC"] == "Communications Credits"
    assert names["MCOMEETADV"] == "Audio Conferencing"
    assert names["MCOEV"] == "Phone System"
    assert names["MCOPSTN1"] == "Domestic Calling Plan"
    assert names["MCOPSTN2"] == "Domestic and International Calling Plan"
    assert names["SPE_E5"] == "Microsoft 365 E5"


def test_only_communications_credits_has_unlimited_seats():
    assert list(Product.objects.filter(unlimited_seats=True).values_list("code", flat=True)) == [
        "MCOPSTNC"
    ]


def test_communications_credits_is_an_add_on():
    assert product(Product.COMMUNICATIONS_CREDITS).category == ProductCategory.ADD_ONS


def test_e5_includes_phone_system_and_audio_conferencing():
    e5 = product(Product.MICROSOFT_365_E5)
    assert {p.name for p in e5.includes.all()} == {"Phone System", "Audio Conferencing"}
    assert e5 in product(Product.PHONE_SYSTEM).included_in.all()


def test_catalog_prices_are_never_negative():
    assert not Product.objects.filter(monthly_price__lt=0).exists()
    assert product(Product.COMMUNICATIONS_CREDITS).monthly_price == 0
