"""Backoffice for platform staff: tenants, the directory, roles, catalog and subscriptions.

The backoffice goes through the same rules as the console: every change staff make here
is audited (``accounts.backoffice.BackofficeAuditMixin``, which every editable page of
accounts and credits uses); usage locations and admin roles change through their
services; license assignments are read-only (tenant admins assign licenses in the
console); a tenant's fields that other apps depend on are guarded
(``accounts.services.tenants``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

# Sign-in security's pages (lockouts, second factor devices) register themselves.
import accounts.security.backoffice  # noqa: F401
from accounts.backoffice import BackofficeAuditMixin, ReadOnlyAdminMixin, ReadOnlyInline
from accounts.exceptions import UsageLocationRequired
from accounts.models import (
    AuditEvent,
    DirectoryTally,
    LicenseAssignment,
    LicenseTally,
    Product,
    RoleAssignment,
    ServiceRequest,
    Subscription,
    Tenant,
    TenantDomain,
    User,
)
from accounts.services import (
    BACKOFFICE_CHANGE,
    backoffice_audit,
    role_assign,
    role_unassign,
    tenant_change_refusals,
    user_set_usage_location,
)
from accounts.services.backoffice import audit_target
from accounts.services.domains import tenant_domain_names, username_domain_message


class TenantDomainInline(admin.TabularInline):
    """A tenant's verified domains: its usernames end in one of them."""

    model = TenantDomain
    extra = 0
    fields = ("name", "created_at")
    readonly_fields = ("created_at",)


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ("product", "seats", "status", "started_at", "renews_at", "ended_at")
    autocomplete_fields = ("product",)


class TenantAdminForm(forms.ModelForm):
    """Refuses the changes a registered tenant change guard refuses (the credits ledger
    keeps every amount in the tenant's currency, for one)."""

    class Meta:
        model = Tenant
        fields = ("name", "slug", "country", "currency", "time_zone", "volume_licensing",
                  "require_mfa_for_admins")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            changes = {
                name: (getattr(self.instance, name), cleaned[name])
                for name in self.changed_data
                if name in cleaned
            }
            for message in tenant_change_refusals(tenant=self.instance, changes=changes):
                self.add_error(None, message)
        return cleaned


@admin.register(Tenant)
class TenantAdmin(BackofficeAuditMixin, admin.ModelAdmin):
    form = TenantAdminForm
    list_display = (
        "name",
        "slug",
        "country",
        "currency",
        "volume_licensing",
        "user_count",
        "created_at",
    )
    list_filter = ("country", "currency", "volume_licensing")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    inlines = [TenantDomainInline, SubscriptionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("users"))

    @admin.display(description=_("users"), ordering="user_count")
    def user_count(self, obj: Tenant) -> int:
        return obj.user_count


@admin.register(TenantDomain)
class TenantDomainAdmin(BackofficeAuditMixin, admin.ModelAdmin):
    """Verified domains of every tenant; a tenant's usernames end in one of them."""

    list_display = ("name", "tenant", "created_at")
    search_fields = ("name", "tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    autocomplete_fields = ("tenant",)
    readonly_fields = ("created_at",)


class RoleAssignmentInline(ReadOnlyInline):
    """Admin roles change on their own page, through the role services."""

    model = RoleAssignment
    fields = ("role", "assigned_at")
    readonly_fields = fields


class LicenseAssignmentInline(ReadOnlyInline):
    """Licenses are assigned by the tenant's admins in the console, with its rules."""

    model = LicenseAssignment
    fk_name = "user"
    fields = ("product", "assigned_at", "assigned_by")
    readonly_fields = fields


class ConsoleUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "tenant")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Users added here belong to a tenant; platform staff come from createsuperuser.
        self.fields["tenant"].required = True

    def clean_usage_location(self) -> str:
        return (self.cleaned_data.get("usage_location") or "").strip().upper()

    def clean(self):
        cleaned = super().clean()
        _username_in_tenant_domains(self, cleaned.get("tenant"), replace=True)
        return cleaned


def _username_in_tenant_domains(form: forms.ModelForm, tenant: Tenant | None, *,
                                replace: bool) -> None:
    """A tenant's usernames end in one of its verified domains (README, "Verified
    domains"); the domain's answer comes first, before whether the username is taken."""
    username = form.cleaned_data.get("username") or form.data.get("username", "")
    if tenant is None or not username:
        return
    message = username_domain_message(
        tenant=tenant, username=str(username), domains=tenant_domain_names(tenant)
    )
    if message:
        if replace and "username" in form.errors:
            del form.errors["username"]
        form.add_error("username", message)


class ConsoleUserChangeForm(UserChangeForm):
    """A tenant's user never becomes platform staff, and keeps a usage location while
    holding licenses (the console's rule)."""

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def clean_usage_location(self) -> str:
        return (self.cleaned_data.get("usage_location") or "").strip().upper()

    def clean(self):
        cleaned = super().clean()
        user = self.instance
        if user.tenant_id is not None:
            for flag in ("is_staff", "is_superuser"):
                if flag in self.fields and cleaned.get(flag) and not getattr(user, flag):
                    self.add_error(
                        flag,
                        _(
                            "%(user)s is a user of %(tenant)s: a tenant's users can't be "
                            "platform staff. Platform staff belong to no tenant."
                        )
                        % {"user": user.username, "tenant": user.tenant},
                    )
        if "username" in self.changed_data and user.tenant_id is not None:
            _username_in_tenant_domains(self, user.tenant, replace=False)
        if (
            "usage_location" in self.changed_data
            and not cleaned.get("usage_location")
            and user.pk is not None
            and LicenseAssignment.objects.filter(user=user).exists()
        ):
            self.add_error("usage_location", UsageLocationRequired(user=user).message)
        return cleaned


@admin.register(User)
class UserAdmin(BackofficeAuditMixin, DjangoUserAdmin):
    """The tenant of a user is fixed once set; the usage location changes through
    ``user_set_usage_location`` (its rules, its audit); roles and licenses are shown
    here, changed on their own pages or in the console."""

    form = ConsoleUserChangeForm
    add_form = ConsoleUserCreationForm
    service_fields = ("usage_location",)
    list_display = (
        "username",
        "display_name",
        "tenant",
        "usage_location",
        "department",
        "is_active",
        "is_staff",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "tenant", "role_assignments__role", "usage_location")
    list_select_related = ("tenant",)
    search_fields = ("username", "display_name", "department", "job_title", "tenant__name")
    ordering = ("tenant__name", "display_name")
    readonly_fields = ("last_login", "created_at")
    autocomplete_fields = ("tenant",)
    inlines = [RoleAssignmentInline, LicenseAssignmentInline]
    fieldsets = (
        (None, {"fields": ("tenant", "username", "password")}),
        (_("Profile"), {"fields": ("display_name", "department", "job_title", "usage_location")}),
        (
            _("Access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "created_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "tenant",
                    "username",
                    "display_name",
                    "usage_location",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj else []

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "tenant") if obj is not None else fields

    def save_model(self, request, obj, form, change) -> None:
        if not (change and "usage_location" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        location = obj.usage_location
        obj.usage_location = User.objects.values_list("usage_location", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        user_set_usage_location(user=obj, usage_location=location, acting_user=request.user)

    def user_change_password(self, request, id, form_url=""):
        """The password page, audited (that it changed, never the hash)."""
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        with transaction.atomic():
            user = self.get_object(request, unquote(id))
            response = super().user_change_password(request, id, form_url)
            if user is not None:
                stored = User.objects.values_list("password", flat=True).get(pk=user.pk)
                if stored != user.password:
                    backoffice_audit(
                        actor=request.user, action=BACKOFFICE_CHANGE, target=audit_target(user),
                        tenant=user.tenant, before={"password": ""}, after={"password": ""},
                    )
        return response


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ("user", "role")

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user")
        if user is not None and user.tenant_id is None:
            self.add_error(
                "user", _("Platform staff hold no admin roles: choose a user of a tenant.")
            )
        return cleaned


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Roles are given and taken (never edited in place) through ``role_assign`` and
    ``role_unassign``, which audit each change."""

    form = RoleAssignmentForm
    list_display = ("user", "role", "tenant_name", "assigned_at")
    list_filter = ("role", "user__tenant")
    list_select_related = ("user__tenant",)
    search_fields = ("user__username", "user__display_name", "user__tenant__name")
    autocomplete_fields = ("user",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        saved = role_assign(user=obj.user, role=obj.role, acting_user=request.user)
        obj.pk, obj.assigned_at = saved.pk, saved.assigned_at

    def delete_model(self, request, obj) -> None:
        role_unassign(user=obj.user, role=obj.role, acting_user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for assignment in queryset.select_related("user"):
                role_unassign(user=assignment.user, role=assignment.role, acting_user=request.user)

    @admin.display(description=_("tenant"), ordering="user__tenant__name")
    def tenant_name(self, obj: RoleAssignment) -> str:
        return obj.user.tenant.name if obj.user.tenant else "—"


@admin.register(Product)
class ProductAdmin(BackofficeAuditMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "category",
        "monthly_price",
        "unlimited_seats",
        "is_active",
        "sort_order",
    )
    list_filter = ("category", "unlimited_seats", "is_active")
    search_fields = ("name", "code")
    filter_horizontal = ("includes",)


@admin.register(Subscription)
class SubscriptionAdmin(BackofficeAuditMixin, admin.ModelAdmin):
    """Seats never drop below the licenses assigned (``Subscription.clean``)."""

    list_display = ("tenant", "product", "seats", "status", "started_at", "renews_at")
    list_filter = ("status", "product", "tenant")
    list_select_related = ("tenant", "product")
    search_fields = ("tenant__name", "tenant__slug", "product__name", "product__code")
    autocomplete_fields = ("tenant", "product")
    date_hierarchy = "started_at"

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "tenant", "product") if obj is not None else fields


@admin.register(LicenseAssignment)
class LicenseAssignmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the tenant's admins assign licenses in the console (seats, usage
    location, blocked users, audit)."""

    list_display = ("user", "product", "tenant_name", "assigned_at", "assigned_by")
    list_filter = ("product", "user__tenant")
    list_select_related = ("user__tenant", "product", "assigned_by")
    search_fields = ("user__username", "user__display_name", "product__name", "product__code")
    autocomplete_fields = ("user", "product", "assigned_by")

    @admin.display(description=_("tenant"), ordering="user__tenant__name")
    def tenant_name(self, obj: LicenseAssignment) -> str:
        return obj.user.tenant.name if obj.user.tenant else "—"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log is evidence: readable, never editable."""

    list_display = ("created_at", "tenant", "actor", "action", "target")
    list_filter = ("action", "tenant")
    list_select_related = ("tenant", "actor")
    search_fields = ("action", "target", "actor__username", "tenant__name")
    date_hierarchy = "created_at"


class TallyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The database writes the tallies (accounts/models/tallies.py): shown, never edited,
    so staff can compare a tenant's sums with its directory."""

    list_filter = ("tenant_id",)
    search_fields = ("=tenant_id",)


@admin.register(DirectoryTally)
class DirectoryTallyAdmin(TallyAdmin):
    list_display = ("tenant_id", "users", "enabled_users", "licensed_users")


@admin.register(LicenseTally)
class LicenseTallyAdmin(TallyAdmin):
    list_display = ("tenant_id", "product_id", "assigned")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(BackofficeAuditMixin, admin.ModelAdmin):
    list_display = ("number", "tenant", "topic", "title", "status", "created_by", "created_at")
    list_filter = ("status", "topic")
    search_fields = ("=id", "title", "description", "tenant__name", "tenant__slug")
    list_select_related = ("tenant", "created_by")
    readonly_fields = ("tenant", "topic", "title", "description", "created_by", "created_at")
    fields = (*readonly_fields, "status", "closed_at")


# Groups of staff permissions: Django registers them; here they are audited too.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BackofficeAuditMixin, DjangoGroupAdmin):
    pass
