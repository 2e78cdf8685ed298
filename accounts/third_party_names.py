"""The backoffice's words from the third-party apps it shows, in the console's languages
(README, "Languages and time zones"): django-axes, django-otp and django-tasks ship no
Chinese. Their app names and django-otp's model and field names (which it does not mark
for translation) are given translatable names here when the app is ready; the field and
model names django-axes and django-tasks do mark are listed below so ``makemessages``
keeps them in the console's catalogs, where Django finds them first. Only what is shown
changes: the migrations read the models' own options."""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import gettext_noop

APP_NAMES = {
    "axes": _lazy("Sign-in lockouts"),
    "otp_totp": _lazy("Authenticator apps"),
    "otp_static": _lazy("Recovery codes"),
    "django_tasks_database": _lazy("Background tasks"),
}

# (app label, model name): (verbose name, plural)
MODEL_NAMES = {
    ("otp_totp", "totpdevice"): (_lazy("authenticator app"), _lazy("authenticator apps")),
    ("otp_static", "staticdevice"): (_lazy("recovery code set"), _lazy("recovery code sets")),
    ("otp_static", "statictoken"): (_lazy("recovery code"), _lazy("recovery codes")),
}

# django-otp's device fields, by field name.
OTP_FIELD_NAMES = {
    "user": _lazy("user"),
    "name": _lazy("name"),
    "confirmed": _lazy("confirmed"),
    "throttling_failure_timestamp": _lazy("last failed attempt"),
    "throttling_failure_count": _lazy("failed attempts in a row"),
    "created_at": _lazy("created at"),
    "last_used_at": _lazy("last used at"),
    "key": _lazy("secret key"),
    "step": _lazy("time step"),
    "t0": _lazy("start time"),
    "digits": _lazy("digits"),
    "tolerance": _lazy("tolerance"),
    "drift": _lazy("clock drift"),
    "last_t": _lazy("last time step used"),
    "device": _lazy("device"),
    "token": _lazy("code"),
}

# What django-axes and django-tasks mark for translation themselves.
MARKED_BY_THE_APPS = (
    gettext_noop("access failure"), gettext_noop("access failures"),
    gettext_noop("access attempt"), gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("access log"), gettext_noop("access logs"),
    gettext_noop("User Agent"), gettext_noop("IP Address"), gettext_noop("Username"),
    gettext_noop("HTTP Accept"), gettext_noop("Path"), gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"), gettext_noop("GET Data"), gettext_noop("POST Data"),
    gettext_noop("Failed Logins"), gettext_noop("Access Attempt"), gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"), gettext_noop("Session key hash (sha256)"),
    gettext_noop("Task Result"), gettext_noop("Task Results"), gettext_noop("status"),
    gettext_noop("enqueued at"), gettext_noop("started at"), gettext_noop("finished at"),
    gettext_noop("args kwargs"), gettext_noop("priority"), gettext_noop("task path"),
    gettext_noop("worker id"), gettext_noop("queue name"), gettext_noop("backend name"),
    gettext_noop("run after"), gettext_noop("return value"),
    gettext_noop("exception class path"), gettext_noop("traceback"),
)


def third_party_names_apply() -> None:
    """Give the third-party apps' names shown in the backoffice their translatable form."""
    for label, name in APP_NAMES.items():
        if label in apps.app_configs:
            apps.get_app_config(label).verbose_name = name
    for (label, model_name), (singular, plural) in MODEL_NAMES.items():
        if label not in apps.app_configs:
            continue
        model = apps.get_model(label, model_name)
        model._meta.verbose_name = singular
        model._meta.verbose_name_plural = plural
        for field in model._meta.get_fields():
            if field.name in OTP_FIELD_NAMES and hasattr(field, "verbose_name"):
                field.verbose_name = OTP_FIELD_NAMES[field.name]
