"""The backoffice pages of sign-in security (imported by accounts/admin.py).

* **Axes > Access attempts**: who is locked out. Deleting a row unlocks that username or
  address (audited); nothing else changes here.
* **Access logs / failure logs**: read-only.
* **TOTP devices / Static devices** (authenticator apps, recovery codes): read-only, no
  secret shown; deleting a user's devices lets them set up a new phone at their next
  sign-in (audited, without the secret).
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.backoffice import BackofficeAuditMixin
from accounts.services import BACKOFFICE_DELETE, backoffice_audit
from accounts.services.backoffice import audit_target, field_values


class _ReadOnly:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditedAccessAttemptAdmin(BackofficeAuditMixin, AccessAttemptAdmin):
    """Delete an attempt to unlock it (audited)."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAccessLogAdmin(_ReadOnly, AccessLogAdmin):
    pass


class ReadOnlyAccessFailureLogAdmin(_ReadOnly, AccessFailureLogAdmin):
    pass


class DeviceAdmin(BackofficeAuditMixin, admin.ModelAdmin):
    """A user's second factor: which exists, never its secret; delete to reset it."""

    list_display = ("user", "name", "confirmed")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "user__display_name")
    list_select_related = ("user",)
    fields = ("user", "name", "confirmed")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def audit_delete(self, request, obj) -> None:
        backoffice_audit(
            actor=request.user, action=BACKOFFICE_DELETE, target=audit_target(obj),
            tenant=self.audit_tenant(obj), before=field_values(obj, ["user", "name", "confirmed"]),
        )


for model, model_admin in (
    (AccessAttempt, AuditedAccessAttemptAdmin),
    (AccessLog, ReadOnlyAccessLogAdmin),
    (AccessFailureLog, ReadOnlyAccessFailureLogAdmin),
    (TOTPDevice, DeviceAdmin),
    (StaticDevice, DeviceAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
