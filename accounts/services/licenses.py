"""Assign and remove product licenses (README, "Active users and licenses"),
all-or-nothing, audited.

Rules, checked inside the transaction that writes:

* the tenant must hold an active subscription to the product;
* the user must belong to that tenant, be allowed to sign in, and have a usage location;
* a product without unlimited licenses cannot be assigned beyond its seats. The
  subscription row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL) before counting,
  so two admins taking the last seat at the same moment cannot both succeed.

Removing a license is always allowed. Already-held licenses are left as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.batching import in_batches
from accounts.exceptions import (
    LicenseChangesRefused,
    LicenseError,
    NotEnoughLicenses,
    ProductNotSubscribed,
    UsageLocationMissing,
    UserDisabled,
    UserNotInTenant,
)
from accounts.models import (
    LicenseAssignment,
    Product,
    Subscription,
    SubscriptionStatus,
    Tenant,
    User,
)
from accounts.services.audit import audit_record_many


@dataclass(frozen=True)
class LicenseChanges:
    """What a license change did: how many licenses were added and removed, and for whom."""

    assigned: int
    unassigned: int
    users_changed: int

    @property
    def changed(self) -> bool:
        return bool(self.assigned or self.unassigned)


def license_assign(*, user: User, product: Product, acting_user: User | None) -> LicenseAssignment:
    """Give ``user`` a license of ``product``; a no-op when they already hold one.

    Raises the one ``LicenseError`` that refuses it (no usage location, disabled user,
    no subscription, not enough licenses).
    """
    with transaction.atomic(durable=True):
        _apply(
            tenant=_tenant_of(user),
            users=[user],
            assign=[product],
            unassign=[],
            acting_user=acting_user,
            single=True,
        )
    return LicenseAssignment.objects.get(user=user, product=product)


def license_unassign(*, user: User, product: Product, acting_user: User | None) -> bool:
    """Remove ``user``'s license of ``product``; returns whether there was one."""
    with transaction.atomic(durable=True):
        changes = _apply(
            tenant=_tenant_of(user),
            users=[user],
            assign=[],
            unassign=[product],
            acting_user=acting_user,
            single=True,
        )
    return changes.unassigned > 0


def licenses_bulk_update(
    *,
    tenant: Tenant,
    users: Sequence[User],
    assign: Iterable[Product] = (),
    unassign: Iterable[Product] = (),
    acting_user: User | None,
) -> LicenseChanges:
    """Add ``assign`` to and remove ``unassign`` from every user, or change nothing.

    Raises ``LicenseChangesRefused`` listing every user and product that the rules
    refuse, so the admin can fix them all at once.
    """
    assign, unassign = list(assign), list(unassign)
    if {p.pk for p in assign} & {p.pk for p in unassign}:
        raise ValueError("A product cannot be both assigned and unassigned.")
    with transaction.atomic(durable=True):
        return _apply(
            tenant=tenant,
            users=users,
            assign=assign,
            unassign=unassign,
            acting_user=acting_user,
            single=False,
        )


def _tenant_of(user: User) -> Tenant:
    if user.tenant_id is None:
        raise UserNotInTenant(user=user)
    return user.tenant


def _apply(
    *,
    tenant: Tenant,
    users: Sequence[User],
    assign: list[Product],
    unassign: list[Product],
    acting_user: User | None,
    single: bool,
) -> LicenseChanges:
    user_ids = sorted({u.pk for u in users})
    if acting_user is not None and acting_user.tenant_id not in (None, tenant.pk):
        raise LicenseError(_("You can change licenses only in your own organization."))
    # Read the users again inside the transaction: their state now is what counts.
    fresh = {u.pk: u for chunk in in_batches(user_ids) for u in User.objects.filter(pk__in=chunk)}
    problems: list[LicenseError] = []
    for user in users:
        current = fresh.get(user.pk)
        if current is None or current.tenant_id != tenant.pk:
            problems.append(UserNotInTenant(user=user))
    if problems:
        _raise(problems, single)

    # Lock the subscriptions being drawn from, in a fixed order, before counting seats.
    subscriptions = {
        s.product_id: s
        for s in Subscription.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, product__in=assign)
        .order_by("pk")
    }
    held: dict[int, set[int]] = defaultdict(set)
    for chunk in in_batches(user_ids):
        for user_id, product_id in LicenseAssignment.objects.filter(user_id__in=chunk).values_list(
            "user_id", "product_id"
        ):
            held[user_id].add(product_id)

    to_create: list[LicenseAssignment] = []
    needed: dict[int, int] = defaultdict(int)
    for product in assign:
        subscription = subscriptions.get(product.pk)
        if subscription is None or subscription.status != SubscriptionStatus.ACTIVE:
            problems.append(ProductNotSubscribed(product=product))
            continue
        for user_id in user_ids:
            if product.pk in held[user_id]:
                continue
            user = fresh[user_id]
            if not user.is_active:
                problems.append(UserDisabled(user=user, product=product))
            elif not user.usage_location:
                problems.append(UsageLocationMissing(user=user, product=product))
            else:
                needed[product.pk] += 1
                to_create.append(
                    LicenseAssignment(
                        user_id=user_id, tenant=tenant, product=product, assigned_by=acting_user
                    )
                )

    limited = [p for p in assign if needed[p.pk] and not p.unlimited_seats]
    if limited:
        in_use = dict(
            LicenseAssignment.objects.filter(tenant=tenant, product__in=limited)
            .order_by()
            .values_list("product_id")
            .annotate(n=Count("pk"))
            .values_list("product_id", "n")
        )
        for product in limited:
            available = max(subscriptions[product.pk].seats - in_use.get(product.pk, 0), 0)
            if needed[product.pk] > available:
                problems.append(
                    NotEnoughLicenses(
                        product=product, needed=needed[product.pk], available=available
                    )
                )
    if problems:
        _raise(_one_per_user_and_reason(problems), single)

    removals = [
        (user_id, product.pk)
        for user_id in user_ids
        for product in unassign
        if product.pk in held[user_id]
    ]
    for chunk in in_batches(sorted({user_id for user_id, _product in removals})):
        LicenseAssignment.objects.filter(user_id__in=chunk, product__in=unassign).delete()
    if to_create:
        LicenseAssignment.objects.bulk_create(to_create, batch_size=1000)

    changes = _audit(
        tenant=tenant,
        acting_user=acting_user,
        users=fresh,
        held=held,
        added=to_create,
        removed=removals,
    )
    return changes


def _one_per_user_and_reason(problems: list[LicenseError]) -> list[LicenseError]:
    """A user missing a usage location is told once, not once per product."""
    seen: set[tuple] = set()
    unique = []
    for problem in problems:
        if problem.user is not None:
            key = (problem.code, "user", problem.user.pk)
        else:
            key = (problem.code, "product", problem.product.pk if problem.product else None)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def _raise(problems: list[LicenseError], single: bool):
    if single and len(problems) == 1:
        raise problems[0]
    raise LicenseChangesRefused(problems)


def _audit(
    *,
    tenant: Tenant,
    acting_user: User | None,
    users: dict[int, User],
    held: dict[int, set[int]],
    added: list[LicenseAssignment],
    removed: list[tuple[int, int]],
) -> LicenseChanges:
    codes = dict(Product.objects.values_list("pk", "code"))
    after: dict[int, set[int]] = {user_id: set(products) for user_id, products in held.items()}
    for assignment in added:
        after.setdefault(assignment.user_id, set()).add(assignment.product_id)
    for user_id, product_id in removed:
        after[user_id].discard(product_id)

    entries_by_action: dict[str, list] = defaultdict(list)
    for user_id, user in users.items():
        before_set, after_set = held.get(user_id, set()), after.get(user_id, set())
        if before_set == after_set:
            continue
        gained, lost = after_set - before_set, before_set - after_set
        if gained and lost:
            action = "license.update"
        else:
            action = "license.assign" if gained else "license.unassign"
        entries_by_action[action].append(
            (
                user.username,
                {"licenses": sorted(codes[p] for p in before_set)},
                {"licenses": sorted(codes[p] for p in after_set)},
            )
        )
    for action, entries in entries_by_action.items():
        audit_record_many(tenant=tenant, actor=acting_user, action=action, entries=entries)
    return LicenseChanges(
        assigned=len(added),
        unassigned=len(removed),
        users_changed=sum(len(e) for e in entries_by_action.values()),
    )
