"""An admin's language (README, "Languages and time zones"): stored on the user, so their
pages in any browser and their emails use it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services.audit import audit_record


def user_language_set(*, user: User, language: str) -> User:
    """Store ``language`` (one of ``settings.LANGUAGES``, or empty: follow the browser) as
    the user's language; audited when it changes."""
    codes = {code for code, _name in settings.LANGUAGES}
    if language and language not in codes:
        raise ValidationError(_("%(value)s is not a language of the console."),
                              params={"value": language})
    if user.language == language:
        return user
    with transaction.atomic():
        before = user.language
        user.language = language
        user.save(update_fields=["language"])
        audit_record(
            tenant=user.tenant, actor=user, action="accounts.user_language_set",
            target=user.username, before={"language": before}, after={"language": language},
        )
    return user
