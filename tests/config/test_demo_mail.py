"""The demo's emails go to files, one per message (README, "The two commands"); the tests
keep Django's in-memory outbox."""

from __future__ import annotations

from email import message_from_bytes

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage, get_connection


def test_the_tests_still_use_the_in_memory_outbox():
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


def test_each_message_is_its_own_file_even_on_one_connection(tmp_path):
    connection = get_connection("config.mail.FilePerMessageBackend", file_path=str(tmp_path))
    messages = [
        EmailMessage(f"Auto-recharge succeeded {n}", "Body", "from@console.example",
                     [f"admin{n}@contoso.example"])
        for n in range(3)
    ]
    connection.open()
    assert connection.send_messages(messages) == 3
    connection.close()
    mail.send_mail("Balance zero", "Body", "from@console.example", ["b@contoso.example"],
                   connection=get_connection("config.mail.FilePerMessageBackend",
                                             file_path=str(tmp_path)))

    files = sorted(tmp_path.iterdir())
    assert len(files) == 4 and all(f.suffix == ".eml" for f in files)
    subjects = {message_from_bytes(f.read_bytes())["Subject"] for f in files}
    assert subjects == {"Auto-recharge succeeded 0", "Auto-recharge succeeded 1",
                        "Auto-recharge succeeded 2", "Balance zero"}


def test_the_dev_settings_write_the_demos_emails_under_var(monkeypatch):
    import importlib  # noqa: PLC0415

    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    monkeypatch.delenv("EMAIL_FILE_PATH", raising=False)
    from config.settings import dev  # noqa: PLC0415 - the settings make demo runs with

    dev = importlib.reload(dev)
    assert dev.EMAIL_BACKEND == "config.mail.FilePerMessageBackend"
    assert str(settings.BASE_DIR / "var" / "emails") == dev.EMAIL_FILE_PATH
