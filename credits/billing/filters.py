"""The filters of the Communications Credits page's Transactions (GET): type and dates.

The dates are days in the tenant's time zone, both included: "From 1 November to 3
November" in Los Angeles is 1 November 00:00 to 4 November 00:00, Los Angeles time. Either
may be left empty. Any length is allowed: the list pages by keyset and the export
streams, so a long range costs no more to show.

Bad values never break the page: each is reported on the form and not applied (the other
filters still are); the export refuses to run until they are fixed.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from credits.billing.selectors.transactions import FUNDS, FUNDS_KINDS, TransactionFilter
from credits.ledger.choices import EntryKind

# Days before this are refused (no ledger is older, and converting far-away days
# between time zones would leave the calendar).
FIRST_DAY = dt.date(2000, 1, 1)
TYPE_CHOICES = [
    ("", _("All types")),
    (FUNDS, _("Funds added (purchase, top-up, auto-recharge)")),
    *EntryKind.choices,
]


class TransactionFilterForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=TYPE_CHOICES, required=False)
    start = forms.DateField(
        label=_("From"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, time_zone: str, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(time_zone)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        for name, day in (("start", start), ("end", end)):
            if day is None:
                continue
            if day < FIRST_DAY:
                self.add_error(name, _("Enter a day on or after %(day)s.")
                               % {"day": FIRST_DAY.isoformat()})
            elif day > self.today:
                self.add_error(name, _("Enter a day on or before today (%(today)s).")
                               % {"today": self.today.isoformat()})
        if self.date_errors:
            return cleaned
        if start is not None and end is not None and start > end:
            self.add_error("end", _("The last day must be on or after the first day."))
        return cleaned

    @property
    def date_errors(self) -> bool:
        return "start" in self.errors or "end" in self.errors

    def _midnight(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=self.zone).astimezone(dt.UTC)

    def filters(self) -> TransactionFilter:
        """The valid filters (an invalid one is left out; none when unbound)."""
        if not self.is_bound:
            return TransactionFilter()
        self.is_valid()  # cleans the form once (the valid fields are still used)
        data = self.cleaned_data
        kinds: tuple[str, ...] = ()
        chosen = data.get("type") if "type" not in self.errors else ""
        if chosen == FUNDS:
            kinds = tuple(FUNDS_KINDS)
        elif chosen:
            kinds = (chosen,)
        start = end = None
        if not self.date_errors:
            if data.get("start") is not None:
                start = self._midnight(data["start"])
            if data.get("end") is not None:
                end = self._midnight(data["end"] + dt.timedelta(days=1))
        return TransactionFilter(kinds=kinds, start=start, end=end)

    @property
    def active(self) -> bool:
        """Whether any filter applies (the list then says "No transactions match")."""
        chosen = self.filters()
        return bool(chosen.kinds or chosen.start or chosen.end)
