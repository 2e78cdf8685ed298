from accounts.models.audit import AuditEvent
from accounts.models.catalog import (
    LicenseAssignment,
    Product,
    ProductCategory,
    Subscription,
    SubscriptionStatus,
)
from accounts.models.roles import AdminRole, RoleAssignment
from accounts.models.support import (
    ServiceRequest,
    ServiceRequestStatus,
    ServiceRequestTopic,
)
from accounts.models.tallies import DirectoryTally, LicenseTally
from accounts.models.tenants import Tenant, TenantDomain
from accounts.models.users import User

__all__ = [
    "AdminRole",
    "AuditEvent",
    "DirectoryTally",
    "LicenseAssignment",
    "LicenseTally",
    "Product",
    "ProductCategory",
    "RoleAssignment",
    "ServiceRequest",
    "ServiceRequestStatus",
    "ServiceRequestTopic",
    "Subscription",
    "SubscriptionStatus",
    "Tenant",
    "TenantDomain",
    "User",
]
