"""Management commands speak the terminal's language (README, "Languages and time zones"):
``LANG=zh_CN.UTF-8`` gives 简体中文, ``LANG=zh_TW.UTF-8`` 繁體中文, anything else English;
their help, messages and errors alike."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from accounts.commands import ConsoleCommand
from accounts.shell.locale import terminal_language

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh-hans"),
        ({"LANG": "zh_SG.UTF-8"}, "zh-hans"),
        ({"LANG": "zh"}, "zh-hans"),
        ({"LANG": "zh_TW.UTF-8"}, "zh-hant"),
        ({"LANG": "zh_HK.Big5"}, "zh-hant"),
        ({"LANG": "zh_MO"}, "zh-hant"),
        ({"LANG": "zh-Hant-TW"}, "zh-hant"),
        ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"}, "zh-hant"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "zh_TW:en"}, "zh-hant"),
        ({"LANGUAGE": "", "LANG": "zh_CN"}, "zh-hans"),
        ({"LANG": "fr_FR@euro"}, "en"),
    ],
)
def test_the_terminals_language(environ, expected):
    assert terminal_language(environ) == expected


def test_every_console_command_is_a_console_command():
    from django.core.management import get_commands, load_command_class

    ours = {
        name: app for name, app in get_commands().items()
        if app in {"accounts", "credits"} and name not in {"makemessages", "compile_catalogs"}
    }
    assert {"seed_demo", "import_usage", "ledger_verify", "assign_licenses"} <= set(ours)
    for name, app in ours.items():
        assert isinstance(load_command_class(app, name), ConsoleCommand), name


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en_US.UTF-8", "No credit account for tenant(s): nowhere"),
        ("zh_CN.UTF-8", "以下租户没有点数帐户：nowhere"),
        ("zh_TW.UTF-8", "以下租用戶沒有點數帳戶：nowhere"),
    ],
)
def test_a_commands_error_is_in_the_terminals_language(db, monkeypatch, lang, message):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)
    with pytest.raises(CommandError) as raised:
        call_command("ledger_verify", tenant=["nowhere"])
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("lang", "line"),
    [("en_US.UTF-8", "0 credit accounts reconcile."), ("zh_TW.UTF-8", "0 個點數帳戶已核對一致。")],
)
def test_a_commands_output_is_in_the_terminals_language(db, monkeypatch, lang, line):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)
    out = io.StringIO()
    call_command("ledger_verify", stdout=out)
    assert out.getvalue().strip() == line


def test_the_command_leaves_the_active_language_as_it_was(db, monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    with translation.override("en"):
        call_command("ledger_verify", stdout=io.StringIO())
        assert translation.get_language() == "en"


def test_a_commands_help_is_in_the_terminals_language():
    env = {"PATH": "/usr/bin:/bin", "LANG": "zh_CN.UTF-8",
           "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    shown = subprocess.run(
        [sys.executable, "manage.py", "ledger_verify", "--help"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    assert "根据分类帐条目和资金批次重新计算每个点数帐户" in shown
    assert "只检查此租户的帐户（可重复）。" in shown
