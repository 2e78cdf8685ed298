"""Print the current sign-in code of a demo admin (README, "Demo sign-ins").

Only for the demo: it needs DEBUG (``make demo``'s settings) and a user seeded by
``seed_demo`` with the demo's published authenticator secret; anyone else is refused."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django_otp.oath import TOTP

from accounts.commands import ConsoleCommand
from accounts.models import User
from accounts.security.demo import demo_device


class Command(ConsoleCommand):
    help = _lazy("Print the current authenticator code of a demo admin (demo only, DEBUG on).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help=_("A demo admin, e.g. admin@contoso.example"))

    def handle(self, *args, username: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                _("demo_code works only for the demo (DEBUG on, as make demo runs).")
            )
        user = User.objects.filter(username=username.strip().lower()).first()
        device = demo_device(user) if user is not None else None
        if device is None:
            raise CommandError(
                _(
                    "%(username)s has no demo authenticator: only the admins seed_demo creates "
                    "(Global and Billing Administrators, platform@console.example) have one."
                ) % {"username": username}
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        seconds = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(
            ngettext("(valid for %(seconds)s more second)", "(valid for %(seconds)s more seconds)",
                     seconds) % {"seconds": seconds}
        )
