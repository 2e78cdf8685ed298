"""Service requests: what an admin asks the support team, e.g. to review an agreement."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ServiceRequestTopic(models.TextChoices):
    BILLING = "billing", _("Billing and payments")
    ENTERPRISE_AGREEMENT = "enterprise_agreement", _("Enterprise Agreement")
    CREDITS = "credits", _("Communications Credits")
    LICENSES = "licenses", _("Licenses and subscriptions")
    OTHER = "other", _("Something else")


class ServiceRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ServiceRequestQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> ServiceRequestQuerySet:
        return self.filter(tenant=tenant)

    def open(self) -> ServiceRequestQuerySet:
        return self.filter(status=ServiceRequestStatus.OPEN)


class ServiceRequest(models.Model):
    """A request to the support team, opened by an admin of the tenant."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="service_requests",
        verbose_name=_("tenant"),
    )
    topic = models.CharField(_("topic"), max_length=30, choices=ServiceRequestTopic.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=4000)
    status = models.CharField(
        _("status"), max_length=20, choices=ServiceRequestStatus.choices,
        default=ServiceRequestStatus.OPEN,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("opened by"),
    )
    created_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="service_request_tenant_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="service_request_has_title"),
            models.CheckConstraint(
                condition=Q(status=ServiceRequestStatus.OPEN, closed_at__isnull=True)
                | Q(status=ServiceRequestStatus.CLOSED, closed_at__isnull=False),
                name="service_request_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.title}"

    @property
    def number(self) -> str:
        return f"SR{self.pk:07d}" if self.pk else "SR-new"
