"""The console's management commands speak the terminal's language (README, "Languages
and time zones"): ``LANG=zh_CN.UTF-8`` gives 简体中文, ``LANG=zh_TW.UTF-8`` 繁體中文,
anything else English. Their help, messages and errors are translated like the pages;
files they write (exports, catalogs) and what scripts parse keep their documented form."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand
from django.utils import translation

from accounts.shell.locale import terminal_language


class ConsoleCommand(BaseCommand):
    """A management command written for people: run in the terminal's language."""

    def run_from_argv(self, argv):
        # From a terminal: the help (printed while the arguments are parsed) and the
        # errors Django prints are in the terminal's language too.
        with translation.override(terminal_language(os.environ)):
            return super().run_from_argv(argv)

    def create_parser(self, prog_name, subcommand, **kwargs):
        with translation.override(terminal_language(os.environ)):
            # argparse needs a str: a lazy help (gettext_lazy) is read here, translated.
            self.help = str(self.help)
            return super().create_parser(prog_name, subcommand, **kwargs)

    def execute(self, *args, **options):
        with translation.override(terminal_language(os.environ)):
            return super().execute(*args, **options)
