"""The child process of ``bench_pages`` that downloads one export (spawned: a fresh
interpreter, so its peak memory is the export's). Django is set up here, before any model
is imported; this module imports nothing of the project at load time."""

from __future__ import annotations

import resource
import time


def maxrss_mb() -> float:
    """This process's peak resident memory: ``VmHWM`` where Linux has it (it starts
    afresh at ``exec``, whereas ``ru_maxrss`` keeps the peak of the process forked to
    spawn the child, i.e. the parent's size), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def export_child(reader_id: int, name: str, params: dict[str, str], hosts, queue) -> None:
    """Download one export and discard it chunk by chunk; put the figures on ``queue``."""
    try:
        import django

        django.setup()
        from django.test import Client
        from django.test.utils import override_settings
        from django.urls import reverse

        from accounts.models import User

        start_mb = maxrss_mb()
        with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
            client = Client()
            client.force_login(User.objects.get(pk=reader_id))
            started = time.perf_counter()
            if name == "report_export":
                queue.put(_write_export(User.objects.get(pk=reader_id), params, start_mb,
                                        started))
                return
            response = client.get(reverse(f"credits:{name}"), params)
            size = 0
            if response.streaming:
                for chunk in response.streaming_content:
                    size += len(chunk)
            else:
                size = len(response.content)
            response.close()
            seconds = time.perf_counter() - started
        queue.put({
            "status": response.status_code, "bytes": size, "seconds": seconds,
            "start_mb": start_mb, "peak_mb": maxrss_mb(),
        })
    except Exception as error:  # noqa: BLE001 - reported to the parent
        queue.put({"error": repr(error)})


def _write_export(reader, params: dict[str, str], start_mb: float, started: float) -> dict:
    """The Excel export is written by a background task: time its body (the writer) into
    a temporary file, which is then removed."""
    import tempfile
    from pathlib import Path
    from urllib.parse import urlencode

    from credits.reports.services import report_export_write

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "export.xlsx"
        report_export_write(tenant=reader.tenant, query=urlencode(params), path=path)
        size = path.stat().st_size
    return {
        "status": "written", "bytes": size, "seconds": time.perf_counter() - started,
        "start_mb": start_mb, "peak_mb": maxrss_mb(),
    }
