"""Print the current sign-in code of a demo admin (README, "Demo sign-ins").

Only for the demo: it needs DEBUG (``make demo``'s settings) and a user seeded by
``seed_demo`` with the demo's published authenticator secret; anyone else is refused."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from accounts.models import User
from accounts.security.demo import demo_device


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo admin (demo only, DEBUG on)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="A demo admin, e.g. admin@contoso.example")

    def handle(self, *args, username: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_code works only for the demo (DEBUG on, as make demo runs).")
        user = User.objects.filter(username=username.strip().lower()).first()
        device = demo_device(user) if user is not None else None
        if device is None:
            raise CommandError(
                f"{username} has no demo authenticator: only the admins seed_demo creates "
                "(Global and Billing Administrators, platform@console.example) have one."
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        seconds = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(f"(valid for {seconds} more seconds)")
