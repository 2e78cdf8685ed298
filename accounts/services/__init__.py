"""Writes for the accounts app. Each service owns its transaction and audits itself."""

from accounts.services.audit import audit_record, audit_record_many
from accounts.services.backoffice import (
    BACKOFFICE_ADD,
    BACKOFFICE_CHANGE,
    BACKOFFICE_DELETE,
    backoffice_audit,
)
from accounts.services.licenses import (
    LicenseChanges,
    license_assign,
    license_unassign,
    licenses_bulk_update,
)
from accounts.services.roles import role_assign, role_unassign
from accounts.services.support import service_request_create
from accounts.services.tenants import tenant_change_guard_register, tenant_change_refusals
from accounts.services.users import (
    UsersImported,
    user_create,
    user_set_usage_location,
    users_import,
)

__all__ = [
    "BACKOFFICE_ADD",
    "BACKOFFICE_CHANGE",
    "BACKOFFICE_DELETE",
    "LicenseChanges",
    "UsersImported",
    "audit_record",
    "audit_record_many",
    "backoffice_audit",
    "license_assign",
    "license_unassign",
    "licenses_bulk_update",
    "role_assign",
    "role_unassign",
    "service_request_create",
    "tenant_change_guard_register",
    "tenant_change_refusals",
    "user_create",
    "user_set_usage_location",
    "users_import",
]
