"""What the credits backoffice pages share: the read-only inline (on accounts'
``ReadOnlyAdminMixin``: the ledger, call records, orders... are written by the services,
never edited here), and the frame of staff operations: admin actions that ask for a
reason (and an amount) on an intermediate page, then call a service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Model
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.backoffice import ReadOnlyAdminMixin
from credits.common.money import amount_parse, amount_validate, currency_decimals
from credits.exceptions import AmountNotReadable, InvalidAmount


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


# ------------------------------------------------------------------ staff operations
# An operation (issue a credit, suspend an account, reverse an entry...) is an admin
# action with an intermediate page: the first post shows the page with a fresh token,
# the confirmation posts back to the changelist with ``CONFIRM_FIELD`` and runs the
# service. The token makes the idempotency key, so a double submit posts once.

CONFIRM_FIELD = "backoffice_confirm"
OPERATION_TEMPLATE = "admin/backoffice_operation.html"


class StaffOperationsMixin:
    """Operations that move money or change an account are for superusers only."""

    def has_staff_operation_permission(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


class ReasonForm(forms.Form):
    """Every staff operation says why: the reason goes to the audit log (and to the
    entry's memo where one is posted)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept with the change in the audit log."),
        error_messages={"required": _("Give the reason for this operation.")},
    )
    token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This page has expired: start the operation again."),
            "invalid": _("This page has expired: start the operation again."),
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("token", uuid.uuid4())
        super().__init__(*args, **kwargs)


class AmountReasonForm(ReasonForm):
    """An amount in the account's currency, checked as the ledger checks every amount
    typed by a person: a number, above zero, at most the currency's decimals, at most
    the ledger's maximum for one posting."""

    amount = forms.CharField(label=_("Amount"), max_length=40, required=False)
    field_order = ("amount", "reason")

    def __init__(self, *args, currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["amount"].label = _("Amount (%(currency)s)") % {"currency": currency}

    def clean_amount(self) -> Decimal:
        text = (self.cleaned_data.get("amount") or "").strip()
        try:  # the console's one reading of typed amounts (README, "Typing amounts")
            number = amount_parse(text)
        except AmountNotReadable as error:
            raise forms.ValidationError(error.message) from None
        try:
            return amount_validate(
                number, currency=self.currency, account_currency=self.currency,
                decimals=currency_decimals(self.currency),
            )
        except InvalidAmount as error:
            raise forms.ValidationError(error.message) from None


def operation_confirmed(request: HttpRequest) -> bool:
    """Whether this post is the intermediate page's confirmation (not the first click)."""
    return request.POST.get(CONFIRM_FIELD) == "yes"


def operation_page(
    modeladmin,
    request: HttpRequest,
    objects: Sequence[Model],
    *,
    form: forms.Form,
    action: str,
    title: str,
    intro: str,
    submit_label: str,
    details: Sequence[tuple[str, str]] = (),
) -> TemplateResponse:
    """The intermediate page of ``action`` for ``objects``."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "objects": list(objects),
        "details": list(details),
        "form": form,
        "action": action,
        "submit_label": submit_label,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "confirm_field": CONFIRM_FIELD,
        "media": modeladmin.media + form.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, OPERATION_TEMPLATE, context)
