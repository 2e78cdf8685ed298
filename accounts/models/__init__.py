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
from accounts.models.tenants import Tenant, TenantDomain
from accounts.models.users import User

__all__ = [
    "AdminRole",
    "AuditEvent",
    "LicenseAssignment",
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
