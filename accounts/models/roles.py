from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import AdminRole


class RoleAssignmentQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> RoleAssignmentQuerySet:
        return self.filter(user__tenant=tenant)


class RoleAssignment(models.Model):
    """A directory user holding one admin role in their tenant."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=40, choices=AdminRole.choices)
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["user", "role"]
        verbose_name = _("admin role assignment")
        verbose_name_plural = _("admin role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="role_assignment_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=AdminRole.values), name="role_assignment_known_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"
