"""``manage.py makemessages`` with the project's options (README, Languages): the
virtualenv, the tests, the vendored scripts and the benchmarks are not scanned; entries
are located by file only (no line numbers, so catalogs change only when strings do); and
entries no longer in the code are dropped. ``_lazy`` (gettext_lazy imported beside gettext
as ``_``) marks strings too. ``-a -d django`` then ``-a -d djangojs``
refresh every catalog, keeping the translations.
"""

from django.core.management.commands import makemessages

IGNORED = [".venv/*", "tests/*", "static/vendor/*", "credits/bench/*", "staticfiles/*",
           "docs/*", "scripts/*", "var/*", "build/*"]


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # -i/--ignore adds to these patterns (argparse appends to a copy of the default).
        parser.set_defaults(add_location="file", no_obsolete=True, ignore_patterns=IGNORED)
