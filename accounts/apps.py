from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Directory and subscriptions")

    def ready(self) -> None:
        # Each app's ``console`` module registers its Home cards, navigation entries
        # and demo seeding with the shell (see accounts/console.py).
        autodiscover_modules("console")
