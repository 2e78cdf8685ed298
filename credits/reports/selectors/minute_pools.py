"""Reads of Reports > Minute pools: each pool's size, the minutes used in a month, and
what is left (pooled per country and plan type, reset on the 1st, UTC).

Sizes follow the *current* license assignments (``pool_sizes_for``), as rating does;
the minutes used are the stored ``MinutePool`` rows of the month. Three queries whatever
the number of users, countries or pools.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.countries import country_name
from accounts.models import Tenant
from credits.common.dates import month_of
from credits.usage.choices import Capability
from credits.usage.models.calls import MinutePool
from credits.usage.selectors import pool_sizes_for, product_includes
from credits.usage.telephony.pools import TENANT_WIDE

WARNING_PERCENT = 80
POOL_LABELS = {
    Capability.DOMESTIC: _lazy("Domestic Calling Plan"),
    Capability.INTERNATIONAL: _lazy("International calling (D&I plan)"),
    Capability.CONFERENCING: _lazy("Audio Conferencing dial-out"),
}
CAPABILITY_ORDER = {
    Capability.DOMESTIC: 0,
    Capability.INTERNATIONAL: 1,
    Capability.CONFERENCING: 2,
}


@dataclass(frozen=True)
class PoolUsage:
    country: str
    capability: str
    size: int
    used: int

    @property
    def key(self) -> str:
        return f"{self.capability}-{self.country or 'all'}"

    @property
    def place(self) -> str:
        if self.country == TENANT_WIDE:
            return _("All countries (Zone A)")
        return country_name(self.country)

    @property
    def label(self) -> str:
        return str(POOL_LABELS.get(self.capability, Capability(self.capability).label))

    @property
    def available(self) -> int:
        return max(self.size - self.used, 0)

    @property
    def percent(self) -> int:
        """Minutes used as a whole percentage of the pool (100 once a pool of 0 is used)."""
        if self.size <= 0:
            return 100 if self.used else 0
        return min(100, (self.used * 100) // self.size)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.size and (self.used > 0 or self.size > 0)

    @property
    def level(self) -> str:
        """The Bootstrap color of the bar: danger when used up, warning from 80 %."""
        if self.exhausted:
            return "danger"
        if self.percent >= WARNING_PERCENT:
            return "warning"
        return "success"


def pool_usage(*, tenant: Tenant, month: dt.date) -> list[PoolUsage]:
    """Every pool the tenant has now, and every pool used in ``month`` (even one whose
    licenses were removed since: its size is then 0), by plan type then country name."""
    sizes = pool_sizes_for(tenant=tenant, includes=product_includes())
    used = {
        (country, capability): minutes
        for country, capability, minutes in MinutePool.objects.for_tenant(tenant)
        .filter(month=month_of(month))
        .values_list("country", "capability", "minutes_used")
    }
    rows = [
        PoolUsage(
            country=country, capability=capability,
            size=sizes.get((country, capability), 0), used=used.get((country, capability), 0),
        )
        for country, capability in set(sizes) | {k for k, minutes in used.items() if minutes}
    ]
    rows.sort(key=lambda row: (CAPABILITY_ORDER.get(row.capability, 9), row.place.casefold()))
    return rows
