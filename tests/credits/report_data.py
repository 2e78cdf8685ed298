"""Call records for the PSTN usage report tests, dated relative to today (UTC), since the
report's default range is the last 7 days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from credits.models import CreditAccount
from tests.credits.calls import (
    CREDITS,
    DE_FIXED,
    DE_MOBILE,
    DOMESTIC,
    GB_FIXED,
    GB_MOBILE,
    IN_FIXED,
    US_FIXED,
    import_rows,
    person,
    record,
)
from tests.credits.factories import CreditAccountFactory, fund

URL = "/reports/pstn-usage/"
CSV_URL = "/reports/pstn-usage/export.csv"
EXPORTS_URL = "/reports/pstn-usage/exports/"


def export_start(client, params: dict | None = None):
    """POST the report's filters to "Export to Excel"; the export's task runs (the test
    settings' immediate backend) once the start commits."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(EXPORTS_URL, {"query": urlencode(params or {})})


def export_download(client, params: dict | None = None):
    """Start an Excel export of ``params`` and answer its download."""
    started = export_start(client, params)
    assert started.status_code == 302, started.status_code
    detail = started["Location"]
    assert detail.startswith(EXPORTS_URL), detail
    return client.get(f"{detail}download/")


def today() -> date:
    return timezone.now().date()


def days_ago(days: int, hour: int = 10) -> datetime:
    """``hour`` o'clock (UTC) ``days`` days ago; today's hours still to come are moved to
    a few minutes ago (never before midnight), since imports refuse calls that start in
    the future: the call stays today's whatever the time the tests run."""
    start = datetime.combine(today() - timedelta(days=days), time(hour), tzinfo=UTC)
    now = timezone.now()
    midnight = datetime.combine(today(), time(0), tzinfo=UTC)
    return min(start, max(midnight, now - timedelta(minutes=5)))


def usage_rows(ana, cy) -> dict[str, dict[str, str]]:
    """Six calls worked out by hand with the test rates (USD):

    - ``pool``: Ana, 2 min to a US number, from the Domestic Calling Plan pool: free.
    - ``gb_mobile``: Cy, 150 s to a GB mobile: 3 min x 0.10 + 0.01 = 0.31.
    - ``gb_fixed``: Cy, 60 s to a GB fixed line: 1 x 0.04 + 0.01 = 0.05.
    - ``inbound``: a German caller rings Ana for 600 s: free, 10 min.
    - ``de_mobile``: Cy, 61 s to a German mobile: 2 x 0.12 + 0.01 = 0.25.
    - ``old``: Cy, 60 s to India 20 days ago (in 28 days, not in 7): 0.07 + 0.02 = 0.09.
    """
    return {
        "pool": record(upn=ana.username, destination=US_FIXED, seconds=120, start=days_ago(1)),
        "gb_mobile": record(upn=cy.username, destination=GB_MOBILE, seconds=150,
                            start=days_ago(1, 11)),
        "gb_fixed": record(upn=cy.username, destination=GB_FIXED, seconds=60, start=days_ago(2)),
        "inbound": record(upn=ana.username, call_type="user_in", destination=US_FIXED,
                          caller=DE_FIXED, seconds=600, start=days_ago(3)),
        "de_mobile": record(upn=cy.username, destination=DE_MOBILE, seconds=61,
                            start=days_ago(3, 12)),
        "old": record(upn=cy.username, destination=IN_FIXED, seconds=60, start=days_ago(20)),
    }


@pytest.fixture
def usage(tenant, test_rates):
    """Contoso's staff and their six calls, imported (so rated and charged) as a file."""
    account = CreditAccount.objects.filter(tenant=tenant).first()
    fund(account or CreditAccountFactory(tenant=tenant), "100.00")
    ana = person(tenant, "ana", DOMESTIC, CREDITS)
    cy = person(tenant, "cy", CREDITS)
    rows = usage_rows(ana, cy)
    result = import_rows(tenant, list(rows.values()))
    assert result.imported == 6 and not result.rejected
    return {"ana": ana, "cy": cy, "rows": rows}
