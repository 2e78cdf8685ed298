"""Forms of the Billing notifications pages: who gets the billing emails beyond the
notified roles, and the kinds an admin no longer wants. They check with the rules the
services use (``credits.notifications.preferences``)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from credits.exceptions import NotificationSettingsInvalid
from credits.notifications.choices import (
    MAX_EXTRA_ADDRESSES,
    OPTIONAL_KINDS,
    NotificationKind,
)
from credits.notifications.preferences import ADDRESS_MAX_LENGTH, addresses_check

_SEPARATORS = re.compile(r"[\s,;]+")


class BillingRecipientsForm(forms.Form):
    admins = forms.TypedMultipleChoiceField(
        label=_("Other admins who get billing emails"), required=False, coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    addresses = forms.CharField(
        label=_("Other email addresses"), required=False,
        max_length=(ADDRESS_MAX_LENGTH + 1) * (MAX_EXTRA_ADDRESSES + 1),
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, admins, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["admins"].choices = [
            (user.pk, f"{user.display_name} ({user.username})") for user in admins
        ]
        self.fields["addresses"].help_text = _(
            "Up to %(n)d addresses outside your organization's admins, one per line, for "
            "example a finance team's shared mailbox. They get the emails in English."
        ) % {"n": MAX_EXTRA_ADDRESSES}

    def clean_addresses(self) -> list[str]:
        text = self.cleaned_data.get("addresses") or ""
        try:
            return addresses_check(part for part in _SEPARATORS.split(text) if part)
        except NotificationSettingsInvalid as error:
            raise forms.ValidationError(error.errors["addresses"]) from None


class NotificationOptOutsForm(forms.Form):
    """Checked: the admin receives that kind. Only the optional kinds are fields: the
    critical ones are always sent."""

    receive = forms.MultipleChoiceField(
        label=_("Email me about"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(kind, NotificationKind(kind).label) for kind in OPTIONAL_KINDS],
    )

    @property
    def opted_out(self) -> list[str]:
        chosen = set(self.cleaned_data.get("receive") or ())
        return [kind for kind in OPTIONAL_KINDS if kind not in chosen]
