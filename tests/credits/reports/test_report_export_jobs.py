"""Excel exports of Reports > PSTN usage written in the background: start, progress,
download, failure, access, and the daily cleanup."""

from __future__ import annotations

import io
from datetime import timedelta
from io import StringIO
from urllib.parse import urlencode

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AdminRole
from credits.daily import daily_jobs_run
from credits.models import ExportStatus, ReportExport
from credits.reports import services as export_service
from credits.reports.services import report_export_run, report_export_start
from credits.reports.writers import XLSX_HEADER
from tests.accounts.factories import AdminFactory
from tests.credits import calls
from tests.credits import report_data as reports
from tests.credits.report_data import EXPORTS_URL, URL, export_start
from tests.html_text import parse

# Fixtures shared with the other report tests.
usage = reports.usage
test_rates = calls.test_rates

PAID_WITH_CREDITS = {"range": "28", "call_type": "user_out", "paid_by": "MCOPSTNPP"}


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    path = tmp_path / "exports"
    settings.CREDITS_EXPORT_DIR = path
    return path


def detail_url(export: ReportExport) -> str:
    return f"{EXPORTS_URL}{export.pk}/"


def download_url(export: ReportExport) -> str:
    return f"{EXPORTS_URL}{export.pk}/download/"


def files_in(directory) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.is_file()) if directory.exists() \
        else []


def pending_export(tenant, user, params=None) -> ReportExport:
    """An export recorded but not run (its on-commit enqueue is dropped)."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=False):
        return report_export_start(tenant=tenant, user=user, query=urlencode(params or {}))


def test_excel_export_runs_in_the_background_and_downloads_the_selection(
    client, reports_reader, usage, export_dir, django_capture_on_commit_callbacks
):
    client.force_login(reports_reader)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(EXPORTS_URL, {"query": urlencode(PAID_WITH_CREDITS)})
    export = ReportExport.objects.get()
    assert started.status_code == 302 and started["Location"] == detail_url(export)
    assert (export.status, export.rows_done, export.rows_total) == (ExportStatus.SUCCEEDED, 4, 4)
    assert export.requested_by == reports_reader

    page = client.get(started["Location"])
    body = page.content.decode()
    status = parse(body).by_id("export-status")
    assert "hx-trigger" not in status.attrs  # finished: no more polling
    assert parse(body).by_id("export-progress").attrs["aria-valuenow"] == "100"
    assert "4 of 4 rows (100%)" in " ".join(body.split())
    assert parse(body).by_id("export-download").attrs["href"] == download_url(export)

    response = client.get(download_url(export))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="pstn-usage-contoso-'
    )
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)),
                                  read_only=True)
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert tuple(rows[0]) == XLSX_HEADER
    source = usage["rows"]
    assert [row[0] for row in rows[1:]] == [
        source[key]["UsageId"] for key in ("gb_mobile", "gb_fixed", "de_mobile", "old")
    ]
    assert files_in(export_dir) == [export.file.name]  # only the finished file


def test_the_export_keeps_the_days_the_admin_saw(tenant, reports_reader, usage):
    export = pending_export(tenant, reports_reader, {"range": "7", "q": "cy"})
    first = (timezone.now().date() - timedelta(days=6)).isoformat()
    last = timezone.now().date().isoformat()
    assert export.query == f"range=custom&start={first}&end={last}&q=cy&sort=-start_time"
    assert export.filename == f"pstn-usage-contoso-{first}-{last}.xlsx"
    assert export.rows_total == 3


def test_a_running_export_polls_every_second_and_cannot_be_downloaded_yet(
    client, tenant, reports_reader, usage
):
    export = pending_export(tenant, reports_reader)
    ReportExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, rows_done=2)
    client.force_login(reports_reader)
    page = parse(client.get(detail_url(export)).content)
    status = page.by_id("export-status")
    assert status.attrs["hx-get"] == detail_url(export)
    assert status.attrs["hx-trigger"] == "every 1s"
    bar = page.by_id("export-progress")
    assert (bar.attrs["role"], bar.attrs["aria-valuenow"]) == ("progressbar", "40")  # 2 of 5
    assert not page.has_id("export-download")
    assert client.get(download_url(export)).status_code == 404


def test_the_poll_gets_only_the_status_panel(client, tenant, reports_reader, usage):
    export = pending_export(tenant, reports_reader)
    client.force_login(reports_reader)
    response = client.get(detail_url(export), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="export-status"')
    assert "<html" not in body and "recent-exports" not in body
    assert "HX-Request" in response["Vary"]


def test_an_htmx_start_swaps_in_the_status_panel(client, reports_reader, usage,
                                                django_capture_on_commit_callbacks):
    client.force_login(reports_reader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EXPORTS_URL, {"query": "range=28"},
                               headers={"HX-Request": "true"})
    export = ReportExport.objects.get()
    assert response.status_code == 200
    assert response["HX-Push-Url"] == detail_url(export)
    # The panel is swapped in at once, and polls until the task has written the file.
    assert parse(response.content).by_id("export-status").attrs["hx-trigger"] == "every 1s"
    assert ReportExport.objects.get().status == ExportStatus.SUCCEEDED


def test_progress_is_saved_every_chunk_while_running(tenant, reports_reader, usage,
                                                      monkeypatch):
    export = pending_export(tenant, reports_reader, {"range": "28"})
    seen = []
    real_write = export_service.xlsx_write

    def watched_write(rows, path, *, progress, every, **kwargs):
        def recording(done):
            progress(done)
            row = ReportExport.objects.get(pk=export.pk)
            seen.append((row.status, row.rows_done))

        return real_write(rows, path, progress=recording, every=every, **kwargs)

    monkeypatch.setattr(export_service, "xlsx_write", watched_write)
    finished = report_export_run(export_id=export.pk, progress_every=2)
    assert seen == [("running", 2), ("running", 4), ("running", 6)]
    assert (finished.status, finished.rows_done, finished.rows_total) == ("succeeded", 6, 6)
    # It runs once: a second delivery of the task changes nothing.
    assert report_export_run(export_id=export.pk).file.name == finished.file.name


def test_a_failing_writer_marks_the_export_failed_and_leaves_no_file(
    client, tenant, reports_reader, usage, export_dir, monkeypatch
):
    def broken_write(rows, path, **kwargs):
        path.write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(export_service, "xlsx_write", broken_write)
    export = pending_export(tenant, reports_reader)
    failed = report_export_run(export_id=export.pk)
    assert failed.status == ExportStatus.FAILED and failed.finished_at is not None
    assert "OSError" in failed.error and failed.file.name == ""
    assert files_in(export_dir) == []
    client.force_login(reports_reader)
    page = parse(client.get(detail_url(export)).content)
    assert "The export failed:" in page.by_id("export-error").text
    assert "OSError" in page.by_id("export-error").text
    assert "hx-trigger" not in page.by_id("export-status").attrs
    assert client.get(download_url(export)).status_code == 404


def test_roles_without_the_report_cannot_start_see_or_download(client, tenant, billing_admin,
                                                               reports_reader, usage):
    export = pending_export(tenant, reports_reader)
    report_export_run(export_id=export.pk)
    client.force_login(billing_admin)
    assert export_start(client).status_code == 403
    assert client.get(detail_url(export)).status_code == 403
    assert client.get(download_url(export)).status_code == 403
    assert ReportExport.objects.count() == 1


def test_another_tenants_admin_gets_404(client, tenant, reports_reader, other_tenant_admin,
                                        usage):
    export = pending_export(tenant, reports_reader)
    report_export_run(export_id=export.pk)
    client.force_login(other_tenant_admin)
    assert client.get(detail_url(export)).status_code == 404
    assert client.get(download_url(export)).status_code == 404
    # Nor can a filter name a user of another tenant.
    response = export_start(client, {"user": usage["ana"].pk})
    assert response.status_code == 302
    assert ReportExport.objects.count() == 1


def test_colleagues_of_the_tenant_can_open_an_export(client, tenant, reports_reader, usage,
                                                     global_admin):
    export = pending_export(tenant, reports_reader)
    report_export_run(export_id=export.pk)
    client.force_login(global_admin)
    assert client.get(download_url(export)).status_code == 200


def test_invalid_filters_are_refused_with_a_message_and_no_export(client, reports_reader,
                                                                  usage):
    client.force_login(reports_reader)
    response = export_start(client, {"range": "custom", "start": "2025-03-10",
                                     "end": "2025-03-01"})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?range=custom&start=2025-03-10&end=2025-03-01"
    assert "Fix the filters before exporting." in client.get(response["Location"]).content \
        .decode()
    assert export_start(client, {"call_type": "nonsense"}).status_code == 302
    assert not ReportExport.objects.exists()


def test_more_rows_than_a_sheet_holds_are_refused(client, reports_reader, usage, monkeypatch):
    monkeypatch.setattr(export_service, "XLSX_MAX_ROWS", 4)
    client.force_login(reports_reader)
    response = export_start(client, {"range": "28"})
    assert response.status_code == 302 and response["Location"] == f"{URL}?range=28"
    assert "export them as CSV" in client.get(response["Location"]).content.decode()
    assert not ReportExport.objects.exists()


def test_unknown_exports_are_404_and_the_start_takes_only_post(client, reports_reader, usage):
    client.force_login(reports_reader)
    assert client.get(f"{EXPORTS_URL}999999/").status_code == 404
    assert client.get(f"{EXPORTS_URL}999999/download/").status_code == 404
    assert client.get(EXPORTS_URL).status_code == 405


def test_a_missing_or_escaping_file_is_404(client, tenant, reports_reader, usage, export_dir):
    export = pending_export(tenant, reports_reader)
    done = report_export_run(export_id=export.pk)
    (export_dir / done.file.name).unlink()
    client.force_login(reports_reader)
    assert client.get(download_url(export)).status_code == 404
    outside = export_dir.parent / "secret.xlsx"
    outside.write_bytes(b"not yours")
    ReportExport.objects.filter(pk=export.pk).update(file="../secret.xlsx")
    assert client.get(download_url(export)).status_code == 404


def test_the_detail_lists_the_admins_ten_latest_exports_newest_first(client, tenant,
                                                                      reports_reader, usage):
    mine = [pending_export(tenant, reports_reader) for _ in range(12)]
    colleague = AdminFactory(tenant=tenant, roles=[AdminRole.REPORTS_READER])
    theirs = pending_export(tenant, colleague)
    client.force_login(reports_reader)
    page = parse(client.get(detail_url(mine[0])).content)
    listed = [row.attrs["id"] for row in page.by_id("recent-exports").find_all("tr")
              if row.attrs.get("id", "").startswith("recent-export-")]
    assert listed == [f"recent-export-{export.pk}" for export in reversed(mine[2:])]
    assert f"recent-export-{theirs.pk}" not in listed


def test_the_detail_lists_the_other_exports_not_the_one_it_shows(client, tenant,
                                                                 reports_reader, usage):
    older, shown = pending_export(tenant, reports_reader), pending_export(tenant, reports_reader)
    client.force_login(reports_reader)
    page = parse(client.get(detail_url(shown)).content)
    listed = [row.attrs["id"] for row in page.by_id("recent-exports").find_all("tr")
              if row.attrs.get("id", "").startswith("recent-export-")]
    assert listed == [f"recent-export-{older.pk}"]


def test_the_detail_page_costs_the_same_queries_whatever_the_number_of_exports(
    client, tenant, reports_reader, usage
):
    first = pending_export(tenant, reports_reader)
    client.force_login(reports_reader)
    client.get(detail_url(first))  # warm the session and caches

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(detail_url(first)).status_code == 200
        return len(captured)

    one = queries()
    for _ in range(9):
        pending_export(tenant, reports_reader)
    assert queries() == one


def test_daily_jobs_delete_exports_older_than_a_day_with_their_files(
    tenant, reports_reader, usage, export_dir
):
    old = report_export_run(export_id=pending_export(tenant, reports_reader).pk)
    recent = report_export_run(export_id=pending_export(tenant, reports_reader).pk)
    ReportExport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert sorted(files_in(export_dir)) == sorted([old.file.name, recent.file.name])
    out = StringIO()
    call_command("run_daily_jobs", stdout=out)
    assert "old exports deleted: 1." in out.getvalue()
    assert list(ReportExport.objects.values_list("pk", flat=True)) == [recent.pk]
    assert files_in(export_dir) == [recent.file.name]
    assert daily_jobs_run(at=timezone.now() + timedelta(hours=23))["exports_deleted"] == 0
    assert daily_jobs_run(at=timezone.now() + timedelta(hours=25))["exports_deleted"] == 1
    assert files_in(export_dir) == []
