"""The filters of Reports > PSTN usage (GET): date range, user, call type, what paid,
restricted calls only, sort.

Bad values never break the page: an invalid custom range is reported on the form and the
report falls back to the last 7 days; an unknown call type, payer or sort is reported (or,
for the sort, ignored) and the filter is not applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from credits.reports.choices import DEFAULT_SORT, PAID_BY_CHOICES, SORTS
from credits.usage.choices import CallType

MAX_RANGE_DAYS = 366
DEFAULT_RANGE = "7"
RANGE_CHOICES = [
    ("7", _("Last 7 days")),
    ("28", _("Last 28 days")),
    ("custom", _("Custom range")),
]


@dataclass(frozen=True)
class Period:
    """Whole UTC days, ``first`` to ``last`` inclusive."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


class PstnUsageForm(forms.Form):
    range = forms.ChoiceField(
        label=_("Date range"), choices=RANGE_CHOICES, required=False,
    )
    start = forms.DateField(
        label=_("From"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    q = forms.CharField(
        label=_("User"), required=False, max_length=100, strip=True,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name or UPN"), "autocomplete": "off"}
        ),
    )
    user = forms.IntegerField(label=_("User"), required=False, min_value=1,
                              widget=forms.HiddenInput)
    call_type = forms.ChoiceField(
        label=_("Call type"), required=False,
        choices=[("", _("All call types")), *CallType.choices],
    )
    paid_by = forms.ChoiceField(label=_("Paid by"), required=False, choices=PAID_BY_CHOICES)
    restricted = forms.BooleanField(label=_("Restricted calls only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"), required=False, choices=[(key, key) for key in SORTS],
    )

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("range") != "custom":
            return cleaned
        if "start" in self.errors or "end" in self.errors:
            return cleaned  # "Enter a valid date." is already said
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None:
            self.add_error("start", _("Enter the first day of the custom range."))
        if end is None:
            self.add_error("end", _("Enter the last day of the custom range."))
        if start is None or end is None:
            return cleaned
        if end > self.today:
            self.add_error("end", _("The range cannot end after today (%(today)s).")
                           % {"today": self.today.isoformat()})
        elif start > end:
            self.add_error("start", _("The first day must be on or before the last day."))
        elif (end - start).days + 1 > MAX_RANGE_DAYS:
            self.add_error(
                "start", _("A custom range covers at most %(days)s days.")
                % {"days": MAX_RANGE_DAYS}
            )
        return cleaned

    def value(self, name: str):
        """The cleaned value of a valid field, else its default (empty)."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return ""
        if name in self.errors:
            return ""
        value = self.cleaned_data.get(name)
        return "" if value is None else value

    @property
    def range_errors(self) -> bool:
        return any(name in self.errors for name in ("range", "start", "end"))

    def period(self) -> Period:
        """The days the report covers; the last 7 days when the range is not valid."""
        chosen = self.value("range") or DEFAULT_RANGE
        if chosen == "custom" and not self.range_errors:
            return Period(self.cleaned_data["start"], self.cleaned_data["end"])
        if chosen == "custom":
            chosen = DEFAULT_RANGE
        days = int(chosen)
        return Period(self.today - timedelta(days=days - 1), self.today)

    def sort_key(self) -> str:
        return self.value("sort") or DEFAULT_SORT
