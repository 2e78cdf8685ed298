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


def directory_summary(*, tenant: Tenant) -> DirectorySummary:
    """Counts for Home, in one query and one pass over the tenant's users: the licensed
    users and the admins are those whose id is in the tenant's license (and role)
    assignments, each an uncorrelated ``IN`` that PostgreSQL hashes once for the query.
    No subquery runs once per user."""
    licensed = LicenseAssignment.objects.filter(user__tenant=tenant).values("user_id")
    admins = RoleAssignment.objects.filter(user__tenant=tenant).values("user_id")
    counts = User.objects.for_tenant(tenant).aggregate(
        users=Count("pk"),
        enabled_users=Count("pk", filter=Q(is_active=True)),
        licensed_users=Count("pk", filter=Q(pk__in=licensed)),
        admins=Count("pk", filter=Q(pk__in=admins)),
    )
    return DirectorySummary(**counts)


def subscriptions_with_usage(*, tenant: Tenant) -> QuerySet[Subscription]:
    """The tenant's subscriptions with ``assigned`` (licenses in use), one query.

    Each subscription counts its product's assignments (read from the (product, user)
    index) whose user is one of the tenant's: an uncorrelated ``IN`` inside the count,
    which PostgreSQL hashes once for the whole query instead of joining the directory
    again for every subscription."""
    tenant_users = User.objects.filter(tenant=tenant).values("pk")
    assigned = (
        LicenseAssignment.objects.filter(product=OuterRef("product"))
        .order_by()
        .values("product")
        .annotate(n=Count("user", filter=Q(user__in=tenant_users)))
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
