from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from accounts.security.sessions import session_signed_in
from accounts.third_party_names import third_party_names_apply


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Directory and subscriptions")

    def ready(self) -> None:
        # Each app's ``console`` module registers its Home cards, navigation entries
        # and demo seeding with the shell (see accounts/console.py).
        autodiscover_modules("console")
        # Signing in stamps the session for the idle timeout, the absolute age and
        # re-authentication (accounts/security/sessions.py).
        user_logged_in.connect(session_signed_in, dispatch_uid="accounts.session_signed_in")
        # The backoffice's words from django-axes, django-otp and django-tasks, translated.
        third_party_names_apply()
