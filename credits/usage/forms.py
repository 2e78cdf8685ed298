"""Forms of Billing > Spend controls and Billing > Calling restrictions. They check with
the services' own rules (``credits.usage.services.controls``), so a problem is explained
next to its field and a request that skips the form is refused the same way."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.countries import country_choices
from accounts.models import Tenant, User
from credits.exceptions import InvalidControls
from credits.usage.models.controls import CallingRestrictions, SpendControls
from credits.usage.services.controls import calling_restrictions_check, spend_controls_check
from credits.usage.telephony.controls import DEFAULT_MULTIPLIER, InternationalPolicy

MAX_EXEMPT_USERS = 500


def _text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


class SpendControlsForm(forms.Form):
    alert_enabled = forms.BooleanField(
        label=_("Alert the admins when a day's spend is unusual"), required=False,
    )
    multiplier = forms.CharField(
        label=_("Times the daily average"), required=False, max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("From 1.5 to 100, one decimal: a day's spend above this many times the "
                    "average of the 28 days before it is unusual."),
    )
    daily_amount = forms.CharField(
        label=_("Daily amount (optional)"), required=False, max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("A day's spend above it is unusual too; with the cap on, paid calls "
                    "stop when a day's spend reaches it."),
    )
    stop_at_cap = forms.BooleanField(
        label=_("Stop paid calls when the daily cap is reached"), required=False,
        help_text=_("Calls covered by a plan or a pool, and free calls, keep working. Paid "
                    "calls start again the next day in your organization's time zone, or when "
                    "an admin lifts the cap for the rest of the day."),
    )

    def __init__(self, *args, currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def initial_from(self, controls: SpendControls | None) -> None:
        if controls is None:
            self.initial.update({"multiplier": _text(DEFAULT_MULTIPLIER)})
            return
        self.initial.update({
            "alert_enabled": controls.alert_enabled,
            "multiplier": _text(controls.multiplier),
            "daily_amount": _text(controls.daily_amount),
            "stop_at_cap": controls.stop_at_cap,
        })

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            spend_controls_check(
                currency=self.currency, alert_enabled=bool(cleaned.get("alert_enabled")),
                multiplier=(cleaned.get("multiplier") or "").strip(),
                daily_amount=(cleaned.get("daily_amount") or "").strip(),
                stop_at_cap=bool(cleaned.get("stop_at_cap")),
            )
        except InvalidControls as error:
            for field, message in error.errors.items():
                self.add_error(field, message)
        return cleaned


class CallingRestrictionsForm(forms.Form):
    block_premium = forms.BooleanField(
        label=_("Block calls to premium-rate numbers"), required=False,
    )
    international = forms.ChoiceField(
        label=_("International calls"), choices=CallingRestrictions.INTERNATIONAL_CHOICES,
        widget=forms.RadioSelect, initial=InternationalPolicy.ALLOW,
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries or regions to block"), required=False, choices=(),
        help_text=_("International calls to these countries or regions are blocked."),
    )
    exempt = forms.CharField(
        label=_("Users allowed anyway"), required=False, max_length=60_000,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("One username per line: these users may make the calls the restrictions "
                    "block."),
    )

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["countries"].choices = country_choices()
        self.exempt_users: list[User] = []

    def initial_from(self, row: CallingRestrictions | None) -> None:
        if row is None:
            return
        self.initial.update({
            "block_premium": row.block_premium,
            "international": row.international,
            "countries": list(row.blocked_countries or []),
            "exempt": "\n".join(
                sorted(row.exempt_users.values_list("username", flat=True))
            ),
        })

    def clean_exempt(self) -> str:
        text = self.cleaned_data.get("exempt") or ""
        names = sorted({line.strip().lower() for line in text.splitlines() if line.strip()})
        if len(names) > MAX_EXEMPT_USERS:
            raise forms.ValidationError(
                _("At most %(n)d users can be exceptions.") % {"n": MAX_EXEMPT_USERS}
            )
        users = list(User.objects.filter(tenant=self.tenant, username__in=names))
        unknown = sorted(set(names) - {user.username.lower() for user in users})
        if unknown:
            raise forms.ValidationError(
                _("Not a user of your organization: %(names)s")
                % {"names": ", ".join(unknown[:5])}
            )
        self.exempt_users = users
        return "\n".join(names)

    def clean(self):
        cleaned = super().clean()
        if "international" in self.errors or "countries" in self.errors:
            return cleaned
        try:
            cleaned["countries"] = calling_restrictions_check(
                international=cleaned.get("international"),
                countries=cleaned.get("countries") or [],
            )
        except InvalidControls as error:
            for field, message in error.errors.items():
                self.add_error(field, message)
        return cleaned
