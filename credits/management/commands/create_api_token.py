"""``manage.py create_api_token --tenant SLUG [--scope S ...]``: a usage API token, shown
once. Without ``--scope`` it may import call records and authorize calls, as every token
could before tokens had scopes; reading call records (Graph's getPstnCalls) is given with
``--scope usage:read``."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from accounts.commands import ConsoleCommand
from accounts.models import Tenant
from credits.usage.choices import DEFAULT_API_SCOPES, ApiScope
from credits.usage.services.api_tokens import api_token_create


class Command(ConsoleCommand):
    help = _lazy(
        "Create an API token for a tenant's usage API (POST /api/v1/usage, "
        "/api/v1/calls/authorize and Graph's GET /v1.0/communications/callRecords/"
        "getPstnCalls, as its scopes allow). The token is printed once: only its hash is "
        "stored."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--tenant", required=True, metavar="SLUG", help=gettext("The tenant's slug.")
        )
        parser.add_argument(
            "--name", default="Usage API",
            help=gettext("What the token is for (default: Usage API)."),
        )
        parser.add_argument(
            "--scope", action="append", choices=ApiScope.values, dest="scopes",
            metavar="SCOPE",
            help=gettext(
                "What the token may do; repeat for several: %(scopes)s. Default: %(default)s."
            ) % {"scopes": ", ".join(ApiScope.values),
                 "default": " ".join(DEFAULT_API_SCOPES)},
        )

    def handle(self, *args, tenant: str, name: str, scopes: list[str] | None, **options) -> None:
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(gettext("No tenant with the slug %(slug)r.") % {"slug": tenant})
        try:
            token, secret = api_token_create(
                tenant=found, name=name, scopes=scopes or DEFAULT_API_SCOPES
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stderr.write(
            gettext(
                "API token %(prefix)s… (%(name)s, scopes: %(scopes)s) for %(tenant)s. Copy "
                "it now: it is not stored and cannot be shown again."
            ) % {"prefix": token.prefix, "name": token.name, "scopes": token.scopes,
                 "tenant": found.name}
        )
        self.stdout.write(secret)
