"""Reads shared by the accounts views."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.models import (
    DirectoryTally,
    LicenseAssignment,
    LicenseTally,
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


def _count(
    queryset: QuerySet, field: str = "*", *, distinct: bool = False, by: str = "tenant"
) -> Coalesce:
    """``queryset``'s ``COUNT(field)`` as a scalar subquery, 0 when it has no rows.
    ``queryset`` is filtered on one tenant, ``by`` names that tenant's column (grouping on
    it makes the count a subquery Django can write). ``COUNT(*)`` and ``COUNT(DISTINCT
    user_id)`` read no column outside the indexes, so the scans can be index-only."""
    counted = (
        queryset.order_by()
        .values(by)
        .annotate(n=Count(field, distinct=distinct))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _tallied(model: type[DirectoryTally | LicenseTally], field: str, **filters) -> Coalesce:
    """The sum of ``field`` over the tally rows of ``filters`` (``accounts.models.tallies``)
    as a scalar subquery, 0 when there are none."""
    summed = (
        model.objects.filter(**filters)
        .order_by()
        .values("tenant_id")
        .annotate(n=Sum(field))
        .values("n")
    )
    return Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))


def tallies_kept() -> bool:
    """Whether the database keeps the directory tallies (PostgreSQL's triggers)."""
    return connection.vendor == "postgresql"


def directory_summary(*, tenant: Tenant) -> DirectorySummary:
    """Counts for Home in one query of four aggregates. On PostgreSQL the users, enabled
    users and licensed users are the sums of the tenant's tally rows, which the database
    keeps (``accounts.models.tallies``): a few rows whatever the directory's size.
    Elsewhere (and in ``directory_counted``) they are counted, each from the tenant's
    range of an index. The admins are the distinct users of the role assignments of the
    tenant's users (a handful). A user with two licenses or two roles counts once."""
    if not tallies_kept():
        return directory_counted(tenant=tenant)
    counts = (
        Tenant.objects.filter(pk=tenant.pk)
        .values_list(
            _tallied(DirectoryTally, "users", tenant_id=tenant.pk),
            _tallied(DirectoryTally, "enabled_users", tenant_id=tenant.pk),
            _tallied(DirectoryTally, "licensed_users", tenant_id=tenant.pk),
            _admins_count(tenant),
        )
        .get()
    )
    return DirectorySummary(*counts)


def directory_counted(*, tenant: Tenant) -> DirectorySummary:
    """``directory_summary`` counted from the directory itself: the users and the enabled
    users from the (tenant, is_active) index of users; the licensed users as the distinct
    user ids of the (tenant, user) index of license assignments (each assignment keeps its
    user's tenant). One query; what SQLite shows, and what the tallies must agree with."""
    users = User.objects.filter(tenant=tenant)
    counts = (
        Tenant.objects.filter(pk=tenant.pk)
        .values_list(
            _count(users),
            _count(users.filter(is_active=True)),
            _count(LicenseAssignment.objects.filter(tenant=tenant), "user", distinct=True),
            _admins_count(tenant),
        )
        .get()
    )
    return DirectorySummary(*counts)


def _admins_count(tenant: Tenant) -> Coalesce:
    return _count(
        RoleAssignment.objects.filter(user__tenant=tenant), "user", distinct=True,
        by="user__tenant",
    )


def subscriptions_with_usage(*, tenant: Tenant) -> QuerySet[Subscription]:
    """The tenant's subscriptions with ``assigned`` (licenses in use), one query.

    On PostgreSQL each subscription's count is the sum of its tenant's license tally rows
    for its product, which the database keeps (``accounts.models.tallies``). Elsewhere it
    counts its tenant's assignments of its product: a range of the (tenant, product) index
    of license assignments (each keeps its user's tenant), with no join to the directory.
    """
    if tallies_kept():
        in_use = _tallied(
            LicenseTally, "assigned", tenant_id=OuterRef("tenant"), product_id=OuterRef("product")
        )
    else:
        counted = (
            LicenseAssignment.objects.filter(
                tenant=OuterRef("tenant"), product=OuterRef("product")
            )
            .order_by()
            .values("tenant", "product")
            .annotate(n=Count("*"))
            .values("n")
        )
        in_use = Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
    return (
        Subscription.objects.for_tenant(tenant)
        .select_related("product")
        .annotate(assigned=in_use)
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
