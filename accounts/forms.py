from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.countries import country_choices
from accounts.models import Product, ServiceRequestTopic
from accounts.selectors import PRODUCT_FILTER_PREFIX, USER_SORTS, ProductAvailability
from accounts.services.user_import import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS


class ConsoleAuthenticationForm(AuthenticationForm):
    """Sign-in for tenant admins and platform staff; everyone else is refused clearly."""

    username = forms.CharField(
        label=_("Username"),
        max_length=254,
        widget=forms.EmailInput(
            attrs={
                "autofocus": True,
                "autocomplete": "username",
                "placeholder": _("someone@example.com"),
            }
        ),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Your account or password is incorrect. Check the username (for example "
            "megan@contoso.example) and try again."
        ),
        "inactive": _("Your account is disabled. Ask your administrator to enable it."),
        "not_admin": _(
            "You can't sign in to the admin console: your account doesn't have an "
            "administrator role in your organization. Ask a Global Administrator if you "
            "need one."
        ),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not (user.is_staff or user.is_tenant_admin):
            raise forms.ValidationError(self.error_messages["not_admin"], code="not_admin")


# Active users ------------------------------------------------------------------------


def _helper(*fields) -> FormHelper:
    """Crispy lays the fields out; our templates write the <form> tag (htmx attributes)."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if fields:
        helper.layout = Layout(*fields)
    return helper


class UserListForm(forms.Form):
    """The search box, filter and sort of Active users (GET). Bad values fall back."""

    q = forms.CharField(
        label=_("Search active users"),
        required=False,
        max_length=100,
        strip=True,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Search by name or username")}
        ),
    )
    filter = forms.ChoiceField(label=_("Filter"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"), required=False, choices=[(key, key) for key in USER_SORTS]
    )

    def __init__(self, *args, availability: list[ProductAvailability], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["filter"].choices = [
            ("", _("All users")),
            ("licensed", _("Licensed users")),
            ("unlicensed", _("Unlicensed users")),
            ("admins", _("Admins")),
            ("blocked", _("Sign-in blocked")),
            *[
                (
                    f"{PRODUCT_FILTER_PREFIX}{row.product.code}",
                    _("Licensed: %(product)s") % {"product": row.product.name},
                )
                for row in availability
            ],
        ]

    def value(self, name: str) -> str:
        """The cleaned value of a valid field, else its default (empty)."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return ""
        return self.cleaned_data.get(name) or ""


class UsageLocationForm(forms.Form):
    usage_location = forms.ChoiceField(
        label=_("Usage location"),
        help_text=_("The country where the user works: it decides which licenses apply."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["usage_location"].choices = [
            ("", _("Select a country")),
            *country_choices(),
        ]
        self.helper = _helper("usage_location")


class LicensesForm(forms.Form):
    """The product switches of the Licenses and apps tab: the licenses the user should hold."""

    products = forms.MultipleChoiceField(
        label=_("Licenses"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, availability: list[ProductAvailability], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.availability = availability
        self.fields["products"].choices = [
            (row.product.code, row.product.name) for row in availability
        ]

    def selected_products(self) -> list[Product]:
        codes = set(self.cleaned_data["products"])
        return [row.product for row in self.availability if row.product.code in codes]


class BulkLicensesForm(LicensesForm):
    ASSIGN = "assign"
    UNASSIGN_ALL = "unassign_all"

    operation = forms.ChoiceField(
        label=_("What do you want to do?"),
        choices=[
            (ASSIGN, _("Assign more: add these licenses; keep the ones users have")),
            (UNASSIGN_ALL, _("Unassign all: remove every license from these users")),
        ],
        initial=ASSIGN,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose Assign more or Unassign all.")},
    )

    field_order = ["operation", "products"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("operation") == self.ASSIGN and not cleaned.get("products"):
            self.add_error("products", _("Switch on at least one license to assign."))
        return cleaned


class UserCreateForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=200)
    username = forms.EmailField(
        label=_("Username"),
        max_length=254,
        help_text=_("The sign-in name, e.g. megan@contoso.example."),
    )
    usage_location = forms.ChoiceField(label=_("Usage location"), required=False)
    department = forms.CharField(label=_("Department"), max_length=100, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=100, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["usage_location"].choices = [("", _("Not set yet")), *country_choices()]
        self.fields["usage_location"].help_text = _("Needed before licenses can be assigned.")
        self.helper = _helper(
            "display_name",
            "username",
            "usage_location",
            Row(Column("department"), Column("job_title")),
        )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class UsersImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "UTF-8, comma-separated, with the header: display name, username, usage location, "
            "department, job title. At most %(rows)s users and %(size)d MB."
        ) % {"rows": f"{MAX_IMPORT_ROWS:,}", "size": MAX_IMPORT_BYTES // (1024 * 1024)}
        self.helper = _helper("file")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB. Split it into smaller files.")
                % {"size": MAX_IMPORT_BYTES // (1024 * 1024)}
            )
        return upload


# Support -------------------------------------------------------------------------------


class ServiceRequestForm(forms.Form):
    """Support > Service requests > New service request."""

    topic = forms.ChoiceField(label=_("Topic"))
    title = forms.CharField(label=_("Title"), max_length=200, strip=True)
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happened and what you need. At most 4,000 characters."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = ServiceRequestTopic.choices
        self.helper = _helper("topic", "title", "description")
