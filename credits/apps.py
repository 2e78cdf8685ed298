from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditsConfig(AppConfig):
    name = "credits"
    verbose_name = _("Communications Credits")

    def ready(self) -> None:
        # The background tasks register with the services' enqueue seam
        # (credits.common.jobs).
        from credits import tasks  # noqa: F401
