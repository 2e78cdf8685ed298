"""The directory's choices and the catalog's product codes, kept apart from the models
so that pure modules (the permission map, the navigation, rating) use them without
importing a model."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AdminRole(models.TextChoices):
    """The directory's admin roles with their admin-center names (README, "Who may do what")."""

    GLOBAL_ADMIN = "global_admin", _("Global Administrator")
    BILLING_ADMIN = "billing_admin", _("Billing Administrator")
    LICENSE_ADMIN = "license_admin", _("License Administrator")
    USER_ADMIN = "user_admin", _("User Administrator")
    GLOBAL_READER = "global_reader", _("Global Reader")
    REPORTS_READER = "reports_reader", _("Reports Reader")
    TEAMS_ADMIN = "teams_admin", _("Teams Administrator")
    TEAMS_COMMS_ADMIN = "teams_comms_admin", _("Teams Communications Administrator")
    TEAMS_COMMS_SUPPORT_ENGINEER = (
        "teams_comms_support_engineer",
        _("Teams Communications Support Engineer"),
    )
    TEAMS_COMMS_SUPPORT_SPECIALIST = (
        "teams_comms_support_specialist",
        _("Teams Communications Support Specialist"),
    )
    SKYPE_ADMIN = "skype_admin", _("Skype for Business Administrator")
    HELPDESK_ADMIN = "helpdesk_admin", _("Helpdesk Administrator")
    SERVICE_SUPPORT_ADMIN = "service_support_admin", _("Service Support Administrator")
    DEVICE_ADMIN = "device_admin", _("Device Administrator")
    APPLICATION_ADMIN = "application_admin", _("Application Administrator")
    CLOUD_DEVICE_ADMIN = "cloud_device_admin", _("Cloud Device Administrator")
    AUTHENTICATION_ADMIN = "authentication_admin", _("Authentication Administrator")
    PRIVILEGED_AUTHENTICATION_ADMIN = (
        "privileged_authentication_admin",
        _("Privileged Authentication Administrator"),
    )



class ProductCode:
    """The product codes (SKU part numbers) that rules refer to; ``Product.code``."""

    COMMUNICATIONS_CREDITS = "MCOPSTNC"
    AUDIO_CONFERENCING = "MCOMEETADV"
    PHONE_SYSTEM = "MCOEV"
    DOMESTIC_CALLING_PLAN = "MCOPSTN1"
    DOMESTIC_INTERNATIONAL_CALLING_PLAN = "MCOPSTN2"
    MICROSOFT_365_E5 = "SPE_E5"
