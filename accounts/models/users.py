from __future__ import annotations

import uuid
from functools import cached_property

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import EmailValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.countries import country_name
from accounts.models.tenants import validate_country
from accounts.permissions import roles_allow


class UserQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> UserQuerySet:
        return self.filter(tenant=tenant)

    def enabled(self) -> UserQuerySet:
        return self.filter(is_active=True)

    def admins(self) -> UserQuerySet:
        return self.filter(role_assignments__isnull=False).distinct()


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create(self, username: str, password: str | None, **fields) -> User:
        if not username:
            raise ValueError("A user needs a sign-in name.")
        user = self.model(username=self.normalize_username(username), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    @staticmethod
    def normalize_username(username: str) -> str:
        return username.strip().lower()

    def get_by_natural_key(self, username: str) -> User:
        return self.get(username=self.normalize_username(username))

    def create_user(self, username: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(username, password, **fields)

    def create_superuser(self, username: str, password: str | None = None, **fields) -> User:
        """Platform staff: no tenant; signs in to the backoffice."""
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("display_name", "Platform administrator")
        return self._create(username, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person in a tenant's directory, or platform staff (no tenant).

    The sign-in name is the user principal name (UPN), e.g. ``megan@contoso.example``.
    """

    tenant = models.ForeignKey(
        "accounts.Tenant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("tenant"),
        help_text=_("Empty only for platform staff."),
    )
    username = models.CharField(
        _("username"),
        max_length=254,
        unique=True,
        validators=[EmailValidator()],
        help_text=_("The sign-in name (user principal name), e.g. megan@contoso.example."),
    )
    display_name = models.CharField(_("display name"), max_length=200)
    department = models.CharField(_("department"), max_length=100, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    usage_location = models.CharField(
        _("usage location"),
        max_length=2,
        blank=True,
        validators=[validate_country],
        help_text=_("Country where the user uses services; needed before assigning a license."),
    )
    is_active = models.BooleanField(
        _("sign-in allowed"),
        default=True,
        help_text=_("A disabled user cannot sign in and cannot be given licenses."),
    )
    is_staff = models.BooleanField(
        _("platform staff"),
        default=False,
        help_text=_("Platform staff sign in to the backoffice; they belong to no tenant."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The console's and the emails' language; empty: the browser's."),
    )
    object_id = models.UUIDField(
        _("object ID"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_(
            "The directory's stable identifier of the user, exported as AAD ObjectId; it "
            "never changes, even when the username does."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "username"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [
            models.Index(fields=["tenant", "display_name"], name="user_tenant_name_idx"),
            # Home's counts of users and enabled users, read from the index alone.
            models.Index(fields=["tenant", "is_active"], name="user_tenant_active_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(tenant__isnull=True, is_staff=True)
                    | models.Q(tenant__isnull=False, is_staff=False)
                ),
                name="user_tenant_xor_staff",
                violation_error_message=_(
                    "Platform staff belong to no tenant; every other user belongs to one."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(is_superuser=False) | models.Q(is_staff=True),
                name="user_superuser_is_staff",
            ),
            models.CheckConstraint(
                condition=models.Q(usage_location="")
                | models.Q(usage_location__regex=r"^[A-Z]{2}$"),
                name="user_usage_location_iso2",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def clean(self) -> None:
        super().clean()
        self.username = User.objects.normalize_username(self.username)

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name.split(" ")[0] if self.display_name else self.username

    @property
    def usage_location_name(self) -> str:
        return country_name(self.usage_location)

    @cached_property
    def admin_roles(self) -> frozenset[str]:
        """The admin roles this user holds (one query, cached for the request)."""
        if self.pk is None or self.tenant_id is None:
            return frozenset()
        return frozenset(self.role_assignments.values_list("role", flat=True))

    @property
    def is_tenant_admin(self) -> bool:
        return bool(self.admin_roles)

    def has_action(self, action) -> bool:
        """Whether this user's roles allow the action (see accounts.permissions)."""
        return roles_allow(self.admin_roles, action)
