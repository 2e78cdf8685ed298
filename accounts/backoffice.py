"""What every backoffice page (``/admin/``) of accounts and credits shares: the audit of
staff changes, and read-only inlines for rows that services write."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from accounts.models import Tenant
from accounts.services import (
    BACKOFFICE_ADD,
    BACKOFFICE_CHANGE,
    BACKOFFICE_DELETE,
    backoffice_audit,
)
from accounts.services.backoffice import (
    SECRET_FIELDS,
    audit_target,
    audit_tenant_of,
    audited_field_names,
    editable_field_names,
    field_values,
)


class BackofficeAuditMixin:
    """Audits every add, change and delete made through a ``ModelAdmin`` (and its
    inlines) as ``backoffice.add`` / ``backoffice.change`` / ``backoffice.delete``: the
    staff user, the tenant concerned, the object, and the changed fields before → after.

    The rows are written in the transaction of the change (the admin's change and delete
    views are atomic; bulk deletes are wrapped here). ``service_fields`` are fields a
    service changes and audits itself; they are left out of the record of a change.
    """

    service_fields: tuple[str, ...] = ()

    def audit_tenant(self, obj) -> Tenant | None:
        return audit_tenant_of(obj)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            names = [
                name for name in audited_field_names(type(obj), form.changed_data)
                if name not in self.service_fields
            ]
            stored = type(obj)._default_manager.filter(pk=obj.pk).first() if names else None
            before = field_values(stored, names) if stored is not None else {}
        else:
            names = [
                name for name in audited_field_names(type(obj), form.fields)
                if name not in SECRET_FIELDS
            ]
            before = {}
        form.backoffice_audit = (names, before)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        names, before = getattr(form, "backoffice_audit", ((), {}))
        obj = form.instance
        backoffice_audit(
            actor=request.user,
            action=BACKOFFICE_CHANGE if change else BACKOFFICE_ADD,
            target=audit_target(obj),
            tenant=self.audit_tenant(obj),
            before=before,
            after=field_values(obj, names),
        )

    def save_formset(self, request, form, formset, change) -> None:
        model = formset.model
        names = [
            name for name in audited_field_names(model, formset.form.base_fields)
            if name not in SECRET_FIELDS
        ]
        stored = {
            o.pk: o
            for o in model._default_manager.filter(
                pk__in=[f.instance.pk for f in formset.initial_forms if f.instance.pk]
            )
        }
        remembered = {
            id(f.instance): (audit_target(f.instance), field_values(stored[f.instance.pk], names))
            for f in formset.initial_forms
            if f.instance.pk in stored
        }
        super().save_formset(request, form, formset, change)
        for obj in formset.deleted_objects:
            target, before = remembered[id(obj)]
            backoffice_audit(
                actor=request.user, action=BACKOFFICE_DELETE, target=target,
                tenant=self.audit_tenant(obj), before=before,
            )
        for obj in formset.new_objects:
            backoffice_audit(
                actor=request.user, action=BACKOFFICE_ADD, target=audit_target(obj),
                tenant=self.audit_tenant(obj), after=field_values(obj, names),
            )
        for obj, changed in formset.changed_objects:
            target, before = remembered[id(obj)]
            changed_names = [name for name in changed if name in names]
            backoffice_audit(
                actor=request.user, action=BACKOFFICE_CHANGE, target=target,
                tenant=self.audit_tenant(obj), before=before,
                after=field_values(obj, changed_names),
            )

    def audit_delete(self, request, obj) -> None:
        tenant = self.audit_tenant(obj)
        backoffice_audit(
            actor=request.user,
            action=BACKOFFICE_DELETE,
            target=audit_target(obj),
            # A tenant's own audit events go with it: its deletion is kept without one.
            tenant=None if tenant == obj else tenant,
            before=field_values(obj, editable_field_names(type(obj))),
        )

    def delete_model(self, request, obj) -> None:
        self.audit_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.audit_delete(request, obj)
            super().delete_queryset(request, queryset)


class ReadOnlyAdminMixin:
    """View permission only: no add, no change, no delete, no bulk delete action (the
    rows are written by a service or by the database, never edited here)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Shown, never edited here (a service writes these rows)."""

    extra = 0
    max_num = 0
    can_delete = False
