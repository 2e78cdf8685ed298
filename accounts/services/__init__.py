"""Writes for the accounts app. Each service owns its transaction and audits itself."""

from accounts.services.audit import audit_record, audit_record_many
from accounts.services.licenses import (
    LicenseChanges,
    license_assign,
    license_unassign,
    licenses_bulk_update,
)
from accounts.services.support import service_request_create
from accounts.services.users import (
    UsersImported,
    user_create,
    user_set_usage_location,
    users_import,
)

__all__ = [
    "LicenseChanges",
    "UsersImported",
    "audit_record",
    "audit_record_many",
    "license_assign",
    "license_unassign",
    "licenses_bulk_update",
    "service_request_create",
    "user_create",
    "user_set_usage_location",
    "users_import",
]
