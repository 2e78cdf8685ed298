"""Reads shared by the accounts views."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.models import (
    LicenseAssignment,
    Product,
    RoleAssignment,
    Subscription,
    SubscriptionStatus,
    Tenant,
    User,
)


@dataclass(frozen=True)
class DirectorySummary:
    users: int
    enabled_users: int
    licensed_users: int
    admins: int


def _counted(queryset: QuerySet, field: str = "pk", *, distinct: bool = False) -> Subquery:
    """``COUNT`` of ``queryset`` as a scalar subquery (one row: no GROUP BY key)."""
    return Subquery(
        queryset.order_by()
        .annotate(group=Value(1))
        .values("group")
        .annotate(n=Count(field, distinct=distinct))
        .values("n"),
        output_field=IntegerField(),
    )


def directory_summary(*, tenant: Tenant) -> DirectorySummary:
    """Counts for Home, in one query of four indexed aggregates: the users and the
    enabled users from the (tenant, is_active) index alone, the licensed users as one
    semi-join of the tenant's users with the license assignments, the admins from the
    role assignments joined to their users. No subquery runs once per user."""
    users = User.objects.filter(tenant=tenant)
    counts = (
        Tenant.objects.filter(pk=tenant.pk)
        .values(
            users_count=_counted(users),
            enabled_users=_counted(users.filter(is_active=True)),
            licensed_users=_counted(
                users.filter(Exists(LicenseAssignment.objects.filter(user=OuterRef("pk"))))
            ),
            admins=_counted(
                RoleAssignment.objects.filter(user__tenant=tenant), "user", distinct=True
            ),
        )
        .get()
    )
    return DirectorySummary(
        users=counts["users_count"] or 0,
        enabled_users=counts["enabled_users"] or 0,
        licensed_users=counts["licensed_users"] or 0,
        admins=counts["admins"] or 0,
    )


def subscriptions_with_usage(*, tenant: Tenant) -> QuerySet[Subscription]:
    """The tenant's subscriptions with ``assigned`` (licenses in use), one query."""
    assigned = (
        LicenseAssignment.objects.filter(
            product=OuterRef("product"), user__tenant=OuterRef("tenant")
        )
        .order_by()
        .values("product")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Subscription.objects.for_tenant(tenant)
        .select_related("product")
        .annotate(assigned=Coalesce(Subquery(assigned, output_field=IntegerField()), Value(0)))
        .order_by("product__sort_order", "product__name")
    )


# Active users ------------------------------------------------------------------------

USER_SORTS: dict[str, tuple[str, ...]] = {
    "display_name": ("display_name", "username", "pk"),
    "-display_name": ("-display_name", "-username", "-pk"),
    "username": ("username", "pk"),
    "-username": ("-username", "-pk"),
    "usage_location": ("usage_location", "display_name", "pk"),
    "-usage_location": ("-usage_location", "display_name", "pk"),
}
USER_FILTERS = ("licensed", "unlicensed", "admins", "blocked")
PRODUCT_FILTER_PREFIX = "product:"


def _licenses_prefetch() -> Prefetch:
    return Prefetch(
        "licenses",
        queryset=LicenseAssignment.objects.select_related("product").order_by(
            "product__sort_order", "product__name"
        ),
    )


def users_for_tenant(*, tenant: Tenant) -> QuerySet[User]:
    """The directory with each user's licenses (one extra query) and ``is_admin``."""
    return (
        User.objects.for_tenant(tenant)
        .annotate(is_admin=Exists(RoleAssignment.objects.filter(user=OuterRef("pk"))))
        .prefetch_related(_licenses_prefetch())
    )


def users_list(
    *, tenant: Tenant, search: str = "", filter_by: str = "", sort: str = "display_name"
) -> QuerySet[User]:
    """Active users: searched by name or username, filtered, sorted; paginate it."""
    users = users_for_tenant(tenant=tenant)
    search = search.strip()
    if search:
        users = users.filter(Q(display_name__icontains=search) | Q(username__icontains=search))
    has_license = Exists(LicenseAssignment.objects.filter(user=OuterRef("pk")))
    if filter_by == "licensed":
        users = users.filter(has_license)
    elif filter_by == "unlicensed":
        users = users.filter(~has_license)
    elif filter_by == "admins":
        users = users.filter(is_admin=True)
    elif filter_by == "blocked":
        users = users.filter(is_active=False)
    elif filter_by.startswith(PRODUCT_FILTER_PREFIX):
        code = filter_by.removeprefix(PRODUCT_FILTER_PREFIX)
        users = users.filter(
            Exists(LicenseAssignment.objects.filter(user=OuterRef("pk"), product__code=code))
        )
    return users.order_by(*USER_SORTS.get(sort, USER_SORTS["display_name"]))


@dataclass(frozen=True)
class ProductAvailability:
    """One product of the tenant's subscriptions and how many of its licenses are left."""

    product: Product
    subscription: Subscription
    assigned: int

    @property
    def unlimited(self) -> bool:
        return self.product.unlimited_seats

    @property
    def total(self) -> int | None:
        return None if self.unlimited else self.subscription.seats

    @property
    def available(self) -> int | None:
        if self.unlimited:
            return None
        return max(self.subscription.seats - self.assigned, 0)

    @property
    def is_active(self) -> bool:
        return self.subscription.status == SubscriptionStatus.ACTIVE

    @property
    def sold_out(self) -> bool:
        return not self.unlimited and self.available == 0


def license_availability(*, tenant: Tenant) -> list[ProductAvailability]:
    """Every product the tenant subscribes to with its seats in use, in one query."""
    return [
        ProductAvailability(product=s.product, subscription=s, assigned=s.assigned)
        for s in subscriptions_with_usage(tenant=tenant)
    ]
