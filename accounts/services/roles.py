"""Give and take admin roles (platform staff do it in the backoffice, e.g. the first
Global Administrator of a new tenant); audited as ``role.assign`` / ``role.unassign``
with the user's roles before and after."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import AdminRole
from accounts.exceptions import AccountsError, who
from accounts.models import RoleAssignment, User
from accounts.services.audit import audit_record


def _check(*, user: User, role: str, acting_user: User | None, assigning: bool) -> None:
    if role not in AdminRole.values:
        raise AccountsError(_("%(role)s is not an admin role.") % {"role": role})
    if assigning and user.tenant_id is None:
        raise AccountsError(
            _("%(user)s is platform staff: admin roles are for the users of a tenant.")
            % {"user": who(user)}
        )
    if acting_user is not None and acting_user.tenant_id not in (None, user.tenant_id):
        raise AccountsError(_("You can change admin roles only in your own organization."))


def role_assign(*, user: User, role: str, acting_user: User | None) -> RoleAssignment:
    """Give ``user`` the admin ``role``; a no-op (nothing audited) when they hold it."""
    _check(user=user, role=role, acting_user=acting_user, assigning=True)
    with transaction.atomic():
        # The user's row lock serializes changes to their roles.
        locked = User.objects.select_for_update().get(pk=user.pk)
        held = sorted(RoleAssignment.objects.filter(user=locked).values_list("role", flat=True))
        assignment, created = RoleAssignment.objects.get_or_create(user=locked, role=role)
        if created:
            audit_record(
                tenant=locked.tenant, actor=acting_user, action="role.assign",
                target=locked.username, before={"roles": held},
                after={"roles": sorted([*held, role])},
            )
    return assignment


def role_unassign(*, user: User, role: str, acting_user: User | None) -> bool:
    """Take the admin ``role`` from ``user``; returns whether they held it."""
    _check(user=user, role=role, acting_user=acting_user, assigning=False)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        held = sorted(RoleAssignment.objects.filter(user=locked).values_list("role", flat=True))
        if role not in held:
            return False
        RoleAssignment.objects.filter(user=locked, role=role).delete()
        audit_record(
            tenant=locked.tenant, actor=acting_user, action="role.unassign",
            target=locked.username, before={"roles": held},
            after={"roles": [r for r in held if r != role]},
        )
    return True
