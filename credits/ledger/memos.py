"""The memos the console writes on usage charges (credits/usage/services/imports.py:
"Call to India, fixed, 6 min", "Toll-free call from Canada, 3 min"), shown in the
admin's language. The ledger keeps each memo as it was written (it is append-only); the
pages translate these two forms when they show them. Other memos (a staff member's
reason, a demo's note) are shown as they were written.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.countries import country_code_of, country_name

_CALL = re.compile(r"Call to (?P<place>.+), (?P<type>[a-z_-]+), (?P<minutes>\d+) min")
_TOLL_FREE = re.compile(r"Toll-free call from (?P<place>.+), (?P<minutes>\d+) min")
_NUMBER_TYPES = {
    "fixed": pgettext_lazy("number type, in a call's description", "fixed"),
    "mobile": pgettext_lazy("number type, in a call's description", "mobile"),
    "premium": pgettext_lazy("number type, in a call's description", "premium"),
    "toll_free_inbound": pgettext_lazy("number type, in a call's description", "toll-free"),
}


def _place(name: str) -> str:
    return country_name(country_code_of(name)) or name


def memo_shown(memo: str) -> str:
    """The memo in the active language when the console wrote it, else as written."""
    if call := _CALL.fullmatch(memo or ""):
        return _("Call to %(place)s, %(type)s, %(minutes)s min") % {
            "place": _place(call["place"]),
            "type": _NUMBER_TYPES.get(call["type"], call["type"]),
            "minutes": call["minutes"],
        }
    if toll_free := _TOLL_FREE.fullmatch(memo or ""):
        return _("Toll-free call from %(place)s, %(minutes)s min") % {
            "place": _place(toll_free["place"]),
            "minutes": toll_free["minutes"],
        }
    return memo
