"""Compile the translation catalogs (locale/<language>/LC_MESSAGES/*.po) into the .mo files
Django reads, with Babel's pure-Python compiler, so installing needs no GNU gettext.

`make demo` and `make test` run it (README, Languages); the test suite runs it too before
it starts. A .mo is written only when its content changes. Fuzzy and untranslated entries
are left out (they show in English); tests/test_translations.py refuses both.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


def catalogs(locale_dirs) -> list[Path]:
    """Every .po file under the locale directories, in a stable order."""
    return sorted(
        po for directory in locale_dirs for po in Path(directory).glob("*/LC_MESSAGES/*.po")
    )


def compiled(po: Path) -> bytes:
    """The .mo content for one .po file."""
    # Babel prints (rather than logs) a warning for each plural entry with more forms than
    # the catalog's nplurals, and leaves the extra forms out: tests/test_translations.py
    # refuses those entries, so the warning is not repeated here.
    with po.open("rb") as source, contextlib.redirect_stdout(io.StringIO()):
        catalog = read_po(source, charset="utf-8")
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_catalogs(locale_dirs) -> list[Path]:
    """Write each catalog's .mo next to it when it differs; the .mo files written."""
    written = []
    for po in catalogs(locale_dirs):
        mo = po.with_suffix(".mo")
        content = compiled(po)
        if mo.exists() and mo.read_bytes() == content:
            continue
        # Written aside then renamed: a server or a test worker reading it never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=mo.parent, prefix=".", suffix=".mo")
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, mo)
        written.append(mo)
    return written


class Command(BaseCommand):
    help = "Compile the translation catalogs (.po) into .mo files, without GNU gettext."

    def handle(self, *args, **options):
        written = compile_catalogs(settings.LOCALE_PATHS)
        for mo in written:
            self.stdout.write(f"Compiled {mo.relative_to(settings.BASE_DIR)}")
        total = len(catalogs(settings.LOCALE_PATHS))
        self.stdout.write(f"{total} catalogs, {len(written)} compiled, the others up to date.")
