"""Directory writes: add users, import them from CSV, set their usage location."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.batching import in_batches
from accounts.exceptions import (
    AccountsError,
    RowError,
    UsageLocationRequired,
    UsersImportError,
)
from accounts.models import LicenseAssignment, Tenant, User
from accounts.models.tenants import validate_country
from accounts.services.audit import audit_record, audit_record_many
from accounts.services.domains import (
    tenant_domain_names,
    username_domain_check,
    username_domain_message,
)
from accounts.services.user_import import MAX_REPORTED_ERRORS, ImportRow, parse_users_csv


def _same_tenant(*, tenant_id: int | None, acting_user: User | None) -> None:
    if acting_user is not None and acting_user.tenant_id not in (None, tenant_id):
        raise AccountsError(_("You can change users only in your own organization."))


def user_set_usage_location(*, user: User, usage_location: str, acting_user: User | None) -> User:
    """Set (or, for a user without licenses, clear) the country where the user works.

    Not ``durable``: the backoffice's user form calls it inside its own transaction, so
    the change and the form's other fields are saved together or not at all.
    """
    usage_location = usage_location.strip().upper()
    validate_country(usage_location)
    _same_tenant(tenant_id=user.tenant_id, acting_user=acting_user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = locked.usage_location
        if before == usage_location:
            return locked
        if not usage_location and LicenseAssignment.objects.filter(user=locked).exists():
            raise UsageLocationRequired(user=locked)
        locked.usage_location = usage_location
        locked.save(update_fields=["usage_location"])
        audit_record(
            tenant=locked.tenant,
            actor=acting_user,
            action="user.usage_location",
            target=locked.username,
            before={"usage_location": before},
            after={"usage_location": usage_location},
        )
    user.usage_location = usage_location
    return locked


def user_create(
    *,
    tenant: Tenant,
    display_name: str,
    username: str,
    usage_location: str = "",
    department: str = "",
    job_title: str = "",
    acting_user: User | None,
) -> User:
    """Add a user to the tenant's directory. They cannot sign in until given a password.

    Raises ``ValidationError`` (field by field) when a value is not acceptable. The
    username must be in one of the tenant's verified domains, checked before whether it
    is taken, so a username of another organization's domain gets the same answer
    whether or not it exists.
    """
    _same_tenant(tenant_id=tenant.pk, acting_user=acting_user)
    user = User(
        tenant=tenant,
        display_name=display_name.strip(),
        username=User.objects.normalize_username(username),
        usage_location=usage_location.strip().upper(),
        department=department.strip(),
        job_title=job_title.strip(),
        password=make_password(None),
    )
    errors: dict = {}
    try:
        username_domain_check(tenant=tenant, username=user.username)
    except ValidationError as refused:
        errors = refused.update_error_dict(errors)
    else:
        if User.objects.filter(username=user.username).exists():
            raise ValidationError({"username": _("This username is already in use.")})
    try:
        # A username outside the domains is not looked up, not even for uniqueness.
        user.full_clean(exclude=["password", *(["username"] if errors else [])])
    except ValidationError as refused:
        errors = refused.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic(durable=True):
            user.save()
            audit_record(
                tenant=tenant,
                actor=acting_user,
                action="user.create",
                target=user.username,
                after=_profile(user),
            )
    except IntegrityError:
        # Someone took the username between the check and the insert.
        raise ValidationError({"username": _("This username is already in use.")}) from None
    return user


@dataclass(frozen=True)
class UsersImported:
    users: list[User]

    @property
    def count(self) -> int:
        return len(self.users)


def users_import(*, tenant: Tenant, content: bytes, acting_user: User | None) -> UsersImported:
    """Add every user of a CSV file, or none: ``UsersImportError`` says which lines and why."""
    _same_tenant(tenant_id=tenant.pk, acting_user=acting_user)
    rows = parse_users_csv(content)
    _refuse_foreign_or_taken_usernames(tenant=tenant, rows=rows)
    users = [
        User(
            tenant=tenant,
            username=row.username,
            display_name=row.display_name,
            usage_location=row.usage_location,
            department=row.department,
            job_title=row.job_title,
            password=make_password(None),
        )
        for row in rows
    ]
    try:
        with transaction.atomic(durable=True):
            created = User.objects.bulk_create(users, batch_size=500)
            audit_record_many(
                tenant=tenant,
                actor=acting_user,
                action="user.create",
                entries=[(u.username, {}, {**_profile(u), "source": "import"}) for u in users],
            )
    except IntegrityError:
        raise UsersImportError(
            [
                RowError(
                    0,
                    _(
                        "Some of these usernames were added by someone else while the file "
                        "was being imported. Nothing was imported; try again."
                    ),
                )
            ]
        ) from None
    return UsersImported(users=created)


def _refuse_foreign_or_taken_usernames(*, tenant: Tenant, rows: list[ImportRow]) -> None:
    """Every row outside the tenant's verified domains, then every row already taken.

    Only usernames in the tenant's own domains are looked up, so the file's report never
    tells whether another organization's username exists."""
    domains = tenant_domain_names(tenant)
    errors: list[RowError] = []
    own: list[ImportRow] = []
    for row in rows:
        message = username_domain_message(tenant=tenant, username=row.username, domains=domains)
        if message:
            errors.append(RowError(row.line, message))
        else:
            own.append(row)
    taken: dict[str, int | None] = {}
    for batch in in_batches([row.username for row in own]):
        taken.update(User.objects.filter(username__in=batch).values_list("username", "tenant_id"))
    for row in own:
        if row.username not in taken:
            continue
        if taken[row.username] == tenant.pk:
            message = _("%(username)s is already a user of your organization.")
        else:
            # Usernames are unique everywhere; say no more than that it is taken.
            message = _("The username %(username)s is already in use.")
        errors.append(RowError(row.line, message % {"username": row.username}))
    if not errors:
        return
    errors.sort(key=lambda error: error.line)
    raise UsersImportError(errors[:MAX_REPORTED_ERRORS], total_errors=len(errors))


def _profile(user: User) -> dict[str, str]:
    return {
        "display_name": user.display_name,
        "usage_location": user.usage_location,
        "department": user.department,
        "job_title": user.job_title,
    }
