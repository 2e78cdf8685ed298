"""The Webhooks page's form: an endpoint's URL, description and events. The URL is
checked as the services check it (``addresses.target_check``), so a refused address is
an error on its field."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from credits.notifications.webhooks.addresses import WebhookAddressRefused, target_check
from credits.notifications.webhooks.choices import WebhookEventType


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("Endpoint URL"), max_length=500, assume_scheme="https",
        help_text=_("An HTTPS address on the public internet that accepts POST requests."),
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/credits-webhook",
                                     "autocomplete": "off"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events to send"), choices=WebhookEventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout("url", "description", "events")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            target_check(url)
        except WebhookAddressRefused as refusal:
            raise forms.ValidationError(refusal.message) from None
        return url
