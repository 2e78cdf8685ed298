"""``manage.py create_api_token --tenant SLUG``: a usage API token, shown once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Tenant
from credits.usage.services.api_tokens import api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token for a tenant's usage API (POST /api/v1/usage and "
        "/api/v1/calls/authorize). The token is printed once: only its hash is stored."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, metavar="SLUG")
        parser.add_argument(
            "--name", default="Usage API", help="What the token is for (default: Usage API)."
        )

    def handle(self, *args, tenant: str, name: str, **options) -> None:
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant with the slug {tenant!r}.")
        try:
            token, secret = api_token_create(tenant=found, name=name)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stderr.write(
            f"API token {token.prefix}… ({token.name}) for {found.name}. Copy it now: it is "
            "not stored and cannot be shown again."
        )
        self.stdout.write(secret)
