"""Excel exports go through the "exports" storage only (STORAGES["exports"]): written by a
worker, downloaded by a web server and deleted by the daily jobs without any local
directory, so machines share the storage, not a disk. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.core.files.storage import InMemoryStorage
from django.utils import timezone

from credits.daily import daily_jobs_run
from credits.models import ExportStatus, ReportExport
from credits.reports.storage import ExportDirectoryStorage, export_storage
from credits.reports.writers import XLSX_HEADER
from tests.accounts.factories import StaffFactory
from tests.credits import calls
from tests.credits import report_data as reports
from tests.credits.report_data import EXPORTS_URL, export_start

pytestmark = pytest.mark.django_db

usage = reports.usage
test_rates = calls.test_rates

MEMORY = "django.core.files.storage.InMemoryStorage"
HERE = "tests.credits.reports.test_export_storage"


class UnreachableStorage(InMemoryStorage):
    """A remote storage whose network is down: every call raises."""

    def exists(self, name):
        raise ConnectionError("storage.internal:443 unreachable")

    def _save(self, name, content):
        raise ConnectionError("storage.internal:443 unreachable")


class RefusingStorage(InMemoryStorage):
    """Answers, but refuses to keep the workbook (a full bucket, a missing permission)."""

    def _save(self, name, content):
        raise PermissionError("AccessDenied")


def exports_in(settings, backend: str) -> None:
    settings.STORAGES = {**settings.STORAGES, "exports": {"BACKEND": backend}}


@pytest.fixture
def no_local_directory(settings, tmp_path):
    """The export directory and the media root point nowhere: a path that is not there
    and cannot be created (its parent is a file)."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file")
    settings.CREDITS_EXPORT_DIR = blocker / "exports"
    settings.MEDIA_ROOT = str(blocker / "media")
    exports_in(settings, MEMORY)
    return blocker


def download_url(export: ReportExport) -> str:
    return f"{EXPORTS_URL}{export.pk}/download/"


def test_an_export_is_written_downloaded_and_deleted_through_the_storage_alone(
    client, reports_reader, usage, no_local_directory, django_assert_max_num_queries
):
    storage = export_storage()
    assert isinstance(storage, InMemoryStorage)
    client.force_login(reports_reader)
    started = export_start(client, {"range": "28"})
    assert started.status_code == 302
    export = ReportExport.objects.get()
    assert export.status == ExportStatus.SUCCEEDED, export.error
    assert storage.exists(export.file.name)
    assert storage.listdir("") == ([], [export.file.name])

    with django_assert_max_num_queries(12):
        response = client.get(download_url(export))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="pstn-usage-')
    body = b"".join(response.streaming_content)
    assert body == storage.open(export.file.name).read()
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert tuple(rows[0]) == XLSX_HEADER and len(rows) == 1 + export.rows_total

    health = client.get("/healthz").json()
    assert health["checks"]["export_storage"] == {"status": "ok"}

    ReportExport.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert daily_jobs_run()["exports_deleted"] == 1
    assert storage.listdir("") == ([], [])
    assert client.get(download_url(export)).status_code == 404
    # Nothing was ever written to a local path of the console's.
    assert no_local_directory.read_text() == "a file"
    assert not os.path.exists(django_settings.CREDITS_EXPORT_DIR)


def test_a_file_gone_from_the_storage_is_404(client, reports_reader, usage, no_local_directory):
    client.force_login(reports_reader)
    export_start(client, {"range": "28"})
    export = ReportExport.objects.get()
    export_storage().delete(export.file.name)
    assert client.get(download_url(export)).status_code == 404
    ReportExport.objects.filter(pk=export.pk).update(file="")
    assert client.get(download_url(export)).status_code == 404


def test_a_storage_refusing_the_file_fails_the_export_and_keeps_nothing(
    client, settings, reports_reader, usage, no_local_directory
):
    exports_in(settings, f"{HERE}.RefusingStorage")
    client.force_login(reports_reader)
    export_start(client, {"range": "28"})
    export = ReportExport.objects.get()
    assert export.status == ExportStatus.FAILED
    assert "PermissionError" in export.error and export.file.name == ""
    assert export_storage().listdir("") == ([], [])
    assert client.get(download_url(export)).status_code == 404


def test_an_unreachable_storage_fails_the_export_and_the_health_check(
    client, settings, reports_reader, usage, no_local_directory
):
    exports_in(settings, f"{HERE}.UnreachableStorage")
    client.force_login(reports_reader)
    export_start(client, {"range": "28"})
    export = ReportExport.objects.get()
    assert export.status == ExportStatus.FAILED and "ConnectionError" in export.error
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["export_storage"] == {"status": "fail"}
    assert b"storage.internal" not in response.content


def test_the_default_storage_is_the_export_directory_and_follows_it(settings, tmp_path):
    settings.CREDITS_EXPORT_DIR = tmp_path / "first"
    storage = export_storage()
    assert isinstance(storage, ExportDirectoryStorage)
    storage.save("a.xlsx", io.BytesIO(b"one"))
    assert (tmp_path / "first" / "a.xlsx").read_bytes() == b"one"
    settings.CREDITS_EXPORT_DIR = tmp_path / "second"
    assert export_storage().location == str(tmp_path / "second")
    with pytest.raises(ValueError, match="no URL"):
        storage.url("a.xlsx")


def settings_of(environment: dict[str, str]) -> subprocess.CompletedProcess:
    """The base settings read in a fresh interpreter with ``environment`` added."""
    script = (
        "import json; from config.settings import base; "
        "print(json.dumps({'exports': base.STORAGES['exports'], "
        "'cache': getattr(base, 'CACHES', None)}))"
    )
    env = {**os.environ, **environment}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60,
        cwd=django_settings.BASE_DIR, check=False,
    )


def test_the_export_storage_and_a_shared_cache_come_from_the_environment():
    default = settings_of({})
    assert default.returncode == 0, default.stderr
    assert json.loads(default.stdout)["exports"] == {
        "BACKEND": "credits.reports.storage.ExportDirectoryStorage", "OPTIONS": {},
    }
    s3 = settings_of({
        "CREDITS_EXPORT_STORAGE_BACKEND": "storages.backends.s3.S3Storage",
        "CREDITS_EXPORT_STORAGE_OPTIONS": '{"bucket_name": "console-exports", '
                                          '"default_acl": "private"}',
        "REDIS_URL": "redis://cache.internal:6379/0",
    })
    assert s3.returncode == 0, s3.stderr
    read = json.loads(s3.stdout)
    assert read["exports"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "console-exports", "default_acl": "private"},
    }
    assert read["cache"] == {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/0",
    }}
    for bad in ("bucket=exports", '["bucket"]'):
        refused = settings_of({"CREDITS_EXPORT_STORAGE_OPTIONS": bad})
        assert refused.returncode != 0
        assert "CREDITS_EXPORT_STORAGE_OPTIONS must be a JSON object" in refused.stderr


def test_the_backoffice_shows_the_files_name_in_the_storage_without_a_link(
    client, reports_reader, usage, no_local_directory
):
    client.force_login(reports_reader)
    export_start(client, {"range": "28"})
    export = ReportExport.objects.get()
    client.force_login(StaffFactory(username="platform@console.example"))
    page = client.get(f"/admin/credits/reportexport/{export.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert export.file.name in body
    assert f'href="{export.file.name}' not in body and "/media/" not in body
