"""The sign-in security forms: codes, re-authentication, password reset, the MFA setting."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

# A 6-digit code, or a recovery code (8 letters and digits), spaces and dashes allowed.
CODE_PATTERN = re.compile(r"^(\d{6}|[a-z0-9]{8})$")


def _code_field(label, help_text="") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True,
                   "spellcheck": "false", "autocapitalize": "off"}
        ),
        error_messages={"required": _("Enter the code.")},
    )


def clean_code(value: str, *, app_only: bool = False) -> str:
    code = re.sub(r"[\s-]", "", value or "").lower()
    pattern = r"^\d{6}$" if app_only else CODE_PATTERN
    if not re.match(pattern, code):
        if app_only:
            raise forms.ValidationError(
                _("Enter the 6-digit code your authenticator app shows."), code="malformed"
            )
        raise forms.ValidationError(
            _("Enter the 6-digit code from your authenticator app, or one of your recovery "
              "codes (8 letters and digits)."),
            code="malformed",
        )
    return code


class SecondFactorForm(forms.Form):
    code = _code_field(
        _("Code"),
        _("The 6-digit code your authenticator app shows, or one of your recovery codes."),
    )

    def clean_code(self) -> str:
        return clean_code(self.cleaned_data["code"])


class EnrolmentForm(forms.Form):
    code = _code_field(_("Code"), _("The 6-digit code your authenticator app shows now."))

    def clean_code(self) -> str:
        return clean_code(self.cleaned_data["code"], app_only=True)


class ReauthenticationForm(forms.Form):
    """Your password, or a code from your authenticator app (or a recovery code)."""

    password = forms.CharField(
        label=_("Password"), required=False, strip=False, max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label=_("Or a code from your authenticator app"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        value = self.cleaned_data["code"]
        return clean_code(value) if value.strip() else ""

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("password") and not cleaned.get("code"):
            raise forms.ValidationError(
                _("Enter your password, or a code from your authenticator app."), code="empty"
            )
        return cleaned


class MfaRequirementForm(forms.Form):
    require_mfa_for_admins = forms.TypedChoiceField(
        label=_("Require MFA for admins"),
        choices=(("on", _("On")), ("off", _("Off"))),
        coerce=lambda value: value == "on",
        error_messages={"invalid_choice": _("Choose On or Off.")},
    )


class ConsolePasswordResetForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Username"),
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "username", "autofocus": True,
                   "placeholder": _("someone@example.com")}
        ),
    )
