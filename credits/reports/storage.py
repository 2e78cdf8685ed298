"""Where the background exports' files are kept: Django's ``exports`` storage.

Every write, download, deletion and health check goes through ``export_storage()``
(``settings.STORAGES["exports"]``), never a local path, so web servers and workers on
different machines need no shared disk: any storage every machine reaches will do (an S3
bucket through django-storages, docs/operations.md, "Several machines").

The default, ``ExportDirectoryStorage``, is the filesystem under
``settings.CREDITS_EXPORT_DIR`` (a private directory, never served directly), read when
the storage is used, so a change of that setting (a test's temporary directory) is
followed.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.deconstruct import deconstructible

EXPORT_STORAGE = "exports"  # the key of settings.STORAGES


def export_storage() -> Storage:
    return storages[EXPORT_STORAGE]


@deconstructible(path="credits.reports.storage.ExportDirectoryStorage")
class ExportDirectoryStorage(FileSystemStorage):
    """The filesystem under ``CREDITS_EXPORT_DIR`` (or the ``location`` option, when
    given). Files are private: they have no URL, the download view streams them."""

    @property
    def base_location(self) -> str:
        return os.fspath(self._location or settings.CREDITS_EXPORT_DIR)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)  # noqa: PTH100 - as FileSystemStorage

    def url(self, name):
        raise ValueError("Exports have no URL: they are downloaded through the console.")
