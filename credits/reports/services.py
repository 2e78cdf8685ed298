"""Report exports written in the background: Reports > PSTN usage > Export to Excel.

``report_export_start`` checks the filters the way the report does, counts the calls
(refusing more than a sheet holds), records a pending ``ReportExport`` and, after the
commit, enqueues ``report_export_run``. That task writes the workbook to a temporary
file of its own machine (XlsxWriter's constant-memory mode needs a real file), telling the
row how many rows are done every ``PROGRESS_EVERY`` rows (one cheap UPDATE), then saves it
to the ``exports`` storage (``credits.reports.storage``) and marks the export succeeded;
on any error the export is marked failed with the reason and nothing is left in the
storage. The download streams the file from the storage, and
``report_exports_delete_expired`` (a daily job) deletes exports older than 24 hours from
it: web servers and workers share the storage, not a disk.

The filters are stored with the date range fixed (``range=custom&start=..&end=..``), so
an export that starts late still covers the days the admin saw.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Tenant, User
from credits.common.jobs import enqueue_after_commit
from credits.exceptions import CreditsError, ExportRefused
from credits.reports.choices import ExportFormat, ExportStatus
from credits.reports.forms import PstnUsageForm
from credits.reports.models import ReportExport
from credits.reports.selectors.pstn_usage import UsageSelection, calls_selected, usage_export_rows
from credits.reports.storage import export_storage
from credits.reports.writers import XLSX_MAX_ROWS, export_filename, xlsx_write

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 5_000
_FILTERS = ("q", "user", "call_type", "paid_by", "restricted")


def report_export_open(export: ReportExport) -> File | None:
    """The file of a succeeded export, opened for reading from the export storage, or
    ``None`` when there is none (not finished, failed, deleted, or a name the storage
    refuses, such as one leaving its directory)."""
    if export.status != ExportStatus.SUCCEEDED or not export.file.name:
        return None
    storage = export_storage()
    try:
        if not storage.exists(export.file.name):
            return None
        return storage.open(export.file.name, "rb")
    except (SuspiciousFileOperation, FileNotFoundError):
        return None


def _storage_delete(name: str) -> None:
    """Delete ``name`` from the export storage; a file already gone is no error."""
    if not name:
        return
    with contextlib.suppress(FileNotFoundError):
        export_storage().delete(name)


def _selection(*, tenant: Tenant, query: str) -> tuple[UsageSelection, str, str]:
    """The selection and sort that ``query`` (the report's query string) asks for, and
    the query with the date range fixed; refused when the report would not accept it."""
    form = PstnUsageForm(QueryDict(query) or None, today=timezone.now().date())
    if form.is_bound and not form.is_valid():
        raise ExportRefused(_("Fix the filters before exporting."))
    user_id = form.value("user") or None
    if user_id is not None and not User.objects.for_tenant(tenant).filter(pk=user_id).exists():
        raise ExportRefused(_("Fix the filters before exporting."))
    period = form.period()
    selection = UsageSelection(
        tenant=tenant, first=period.first, last=period.last, search=form.value("q"),
        user_id=user_id, call_type=form.value("call_type"), paid_by=form.value("paid_by"),
        restricted=bool(form.value("restricted")),
    )
    sort = form.sort_key()
    fixed = {"range": "custom", "start": period.first.isoformat(),
             "end": period.last.isoformat()}
    fixed.update({name: str(form.value(name)) for name in _FILTERS if form.value(name)})
    fixed["sort"] = sort
    return selection, sort, urlencode(fixed)


def report_export_start(*, tenant: Tenant, user: User | None, query: str) -> ReportExport:
    """Record an Excel export of the PSTN usage report's ``query`` and enqueue its
    writing. Raises ``ExportRefused`` for invalid filters or too many calls."""
    selection, _sort, fixed = _selection(tenant=tenant, query=query)
    total = calls_selected(selection).count()
    if total > XLSX_MAX_ROWS:
        raise ExportRefused(
            _("More calls than an Excel sheet holds: export them as CSV, or choose a "
              "shorter range.")
        )
    with transaction.atomic(durable=True):
        export = ReportExport.objects.create(
            tenant=tenant, requested_by=user, format=ExportFormat.XLSX, query=fixed,
            rows_total=total, filename=export_filename(selection, "xlsx"),
        )
        enqueue_after_commit("report_export_task", export_id=export.pk)
    return export


def report_export_write(
    *, tenant: Tenant, query: str, path: Path, progress=None, every: int = PROGRESS_EVERY
) -> int:
    """Write the workbook of ``query``'s calls to ``path``; answer the rows written."""
    selection, sort, _fixed = _selection(tenant=tenant, query=query)
    return xlsx_write(
        usage_export_rows(calls_selected(selection), sort=sort), path,
        progress=progress, every=every,
    )


def report_export_run(*, export_id: int, progress_every: int = PROGRESS_EVERY) -> ReportExport:
    """Write a pending export's workbook (the task body). Runs once: an export that is
    not pending any more is answered as it is."""
    name = f"{export_id}-{uuid.uuid4().hex}.xlsx"  # unguessable, and found by cleanup
    claimed = ReportExport.objects.filter(
        pk=export_id, status=ExportStatus.PENDING
    ).update(status=ExportStatus.RUNNING, file=name)
    export = ReportExport.objects.select_related("tenant").get(pk=export_id)
    if not claimed:
        return export
    rows = ReportExport.objects.filter(pk=export_id)

    def progress(done: int) -> None:
        rows.update(rows_done=done)

    try:
        with tempfile.TemporaryDirectory(prefix="credits-export-") as scratch:
            local = Path(scratch) / name
            written = report_export_write(
                tenant=export.tenant, query=export.query, path=local, progress=progress,
                every=progress_every,
            )
            with local.open("rb") as workbook:
                saved = export_storage().save(name, File(workbook, name=name))
        if saved != name:  # the storage chose another name: cleanup must find it
            rows.update(file=saved)
            name = saved
    except Exception as error:  # noqa: BLE001 - any failure is recorded on the export
        logger.exception("Report export %s failed", export_id)
        try:
            _storage_delete(name)
        except Exception:  # noqa: BLE001 - the storage may be what failed
            logger.exception("Report export %s: its file could not be deleted", export_id)
        if isinstance(error, CreditsError):
            reason = error.message
        else:
            reason = _("The workbook could not be written (%(error)s). Try again, or "
                       "export CSV.") % {"error": type(error).__name__}
        rows.update(status=ExportStatus.FAILED, error=reason[:500], file="",
                    finished_at=timezone.now())
    else:
        updated = rows.update(
            status=ExportStatus.SUCCEEDED, rows_done=written, rows_total=written,
            finished_at=timezone.now(),
        )
        if not updated:  # deleted while it was written: leave no orphan file
            _storage_delete(name)
    export.refresh_from_db()
    return export


def report_exports_delete_expired(*, at: datetime | None = None) -> int:
    """Delete the exports created more than 24 hours before ``at``, their files in the
    export storage included; answer how many were deleted."""
    now = at or timezone.now()
    expired = ReportExport.objects.expired(now)
    deleted = 0
    for export in expired.only("pk", "file").order_by("pk").iterator():
        try:
            _storage_delete(export.file.name)
        except SuspiciousFileOperation:
            logger.warning("Report export %s: a file name the storage refuses", export.pk)
        deleted += ReportExport.objects.filter(pk=export.pk).delete()[0]
    return deleted
