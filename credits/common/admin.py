"""What the credits backoffice pages share: read-only admin classes (the ledger, call
records, orders... are written by the services, never edited here)."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdminMixin:
    """View permission only: no add, no change, no delete, no bulk delete action."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
