"""Backoffice for platform staff: tenants, the directory, roles, catalog and subscriptions."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    AuditEvent,
    LicenseAssignment,
    Product,
    RoleAssignment,
    ServiceRequest,
    Subscription,
    Tenant,
    User,
)


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ("product", "seats", "status", "started_at", "renews_at", "ended_at")
    autocomplete_fields = ("product",)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
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
    inlines = [SubscriptionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("users"))

    @admin.display(description=_("users"), ordering="user_count")
    def user_count(self, obj: Tenant) -> int:
        return obj.user_count


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    readonly_fields = ("assigned_at",)


class LicenseAssignmentInline(admin.TabularInline):
    model = LicenseAssignment
    fk_name = "user"
    extra = 0
    fields = ("product", "assigned_at", "assigned_by")
    readonly_fields = ("assigned_at", "assigned_by")


class ConsoleUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "tenant")


class ConsoleUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = ConsoleUserChangeForm
    add_form = ConsoleUserCreationForm
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


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "tenant_name", "assigned_at")
    list_filter = ("role", "user__tenant")
    list_select_related = ("user__tenant",)
    search_fields = ("user__username", "user__display_name", "user__tenant__name")
    autocomplete_fields = ("user",)

    @admin.display(description=_("tenant"), ordering="user__tenant__name")
    def tenant_name(self, obj: RoleAssignment) -> str:
        return obj.user.tenant.name if obj.user.tenant else "—"


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
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
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("tenant", "product", "seats", "status", "started_at", "renews_at")
    list_filter = ("status", "product", "tenant")
    list_select_related = ("tenant", "product")
    search_fields = ("tenant__name", "tenant__slug", "product__name", "product__code")
    autocomplete_fields = ("tenant", "product")
    date_hierarchy = "started_at"


@admin.register(LicenseAssignment)
class LicenseAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "product", "tenant_name", "assigned_at", "assigned_by")
    list_filter = ("product", "user__tenant")
    list_select_related = ("user__tenant", "product", "assigned_by")
    search_fields = ("user__username", "user__display_name", "product__name", "product__code")
    autocomplete_fields = ("user", "product", "assigned_by")

    @admin.display(description=_("tenant"), ordering="user__tenant__name")
    def tenant_name(self, obj: LicenseAssignment) -> str:
        return obj.user.tenant.name if obj.user.tenant else "—"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log is evidence: readable, never editable."""

    list_display = ("created_at", "tenant", "actor", "action", "target")
    list_filter = ("action", "tenant")
    list_select_related = ("tenant", "actor")
    search_fields = ("action", "target", "actor__username", "tenant__name")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ("number", "tenant", "topic", "title", "status", "created_by", "created_at")
    list_filter = ("status", "topic")
    search_fields = ("=id", "title", "description", "tenant__name", "tenant__slug")
    list_select_related = ("tenant", "created_by")
    readonly_fields = ("tenant", "topic", "title", "description", "created_by", "created_at")
    fields = (*readonly_fields, "status", "closed_at")
