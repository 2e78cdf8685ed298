"""The demo's email backend: Django's file-based backend, one file per message.

Django's own ``filebased.EmailBackend`` writes every message of a connection into one
file; the console sends a notification's emails over one connection, so this backend
opens a new file for each message instead: ``var/emails/<time>-<n>.eml`` under
``make demo`` (README, "Demo"), each one a complete message any mail reader opens.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os

from django.core.mail.backends.filebased import EmailBackend as FileBackend

_COUNTER = itertools.count(1)


class FilePerMessageBackend(FileBackend):
    def open(self) -> bool:
        return False  # files are opened per message, in send_messages

    def send_messages(self, email_messages) -> int:
        sent = 0
        with self._lock:
            for message in email_messages or ():
                self._fname = None  # a new file for this message
                with open(self._get_filename(), "ab") as stream:  # noqa: PTH123
                    stream.write(message.message().as_bytes() + b"\n")
                sent += 1
        return sent

    def _get_filename(self) -> str:
        if self._fname is None:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            name = f"{stamp}-{os.getpid()}-{next(_COUNTER):05d}.eml"
            self._fname = os.path.join(self.file_path, name)  # noqa: PTH118
        return self._fname
