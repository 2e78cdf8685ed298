"""The usage capability's choices and sets of them (call types, what paid for a call,
number and destination types, where a record came from).

Kept apart from the models so that pure modules (rating, number classification,
masking, the simulator) use them without importing any model.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallType(models.TextChoices):
    """Call Type values of the PSTN usage report (docs/file-formats.md)."""

    USER_IN = "user_in", _("Inbound call to a user")
    USER_OUT = "user_out", _("Outbound call by a user")
    USER_OUT_CONF = "user_out_conf", _("Dial-out by a user from a conference")
    USER_OUT_TRANSFER = "user_out_transfer", _("Transferred outbound call")
    USER_OUT_FORWARDING = "user_out_forwarding", _("Forwarded outbound call")
    CONF_IN = "conf_in", _("Dial-in to a conference")
    CONF_OUT = "conf_out", _("Dial-out from a conference")
    UCAP_IN = "ucap_in", _("Inbound call to an auto attendant or call queue")
    UCAP_OUT = "ucap_out", _("Outbound call by an auto attendant or call queue")


INBOUND_CALL_TYPES = frozenset({CallType.USER_IN, CallType.CONF_IN, CallType.UCAP_IN})


CONFERENCE_OUT_CALL_TYPES = frozenset({CallType.CONF_OUT, CallType.USER_OUT_CONF})


USER_OUT_CALL_TYPES = frozenset(
    {
        CallType.USER_OUT,
        CallType.USER_OUT_TRANSFER,
        CallType.USER_OUT_FORWARDING,
        CallType.UCAP_OUT,
    }
)


class Capability(models.TextChoices):
    """What paid for a call (the Capability column, docs/file-formats.md): credits, a
    plan's pool, or the conferencing pool."""

    CREDITS = "MCOPSTNPP", _("Communications Credits")
    DOMESTIC = "MCOPSTN1", _("Domestic Calling Plan pool")
    INTERNATIONAL = "MCOPSTN2", _("International Calling Plan pool")
    CONFERENCING = "MCOMEETADD", _("Audio Conferencing dial-out pool")


POOL_CAPABILITIES = (Capability.DOMESTIC, Capability.INTERNATIONAL, Capability.CONFERENCING)


class DestinationType(models.TextChoices):
    """How ``phonenumbers`` classified the number that was rated."""

    FIXED = "fixed", _("Fixed")
    MOBILE = "mobile", _("Mobile")
    TOLL_FREE = "toll_free", _("Toll-free")
    PREMIUM = "premium", _("Premium")


class Reach(models.TextChoices):
    DOMESTIC = "Domestic", _("Domestic")
    INTERNATIONAL = "International", _("International")


class UsageSource(models.TextChoices):
    FILE = "file", _("File import")
    API = "api", _("Usage API")
    SIMULATOR = "simulator", _("Simulator")


class NumberType(models.TextChoices):
    """The rate file's number types (docs/file-formats.md)."""

    FIXED = "fixed", _("Fixed")
    MOBILE = "mobile", _("Mobile")
    TOLL_FREE_INBOUND = "toll_free_inbound", _("Toll-free inbound")
    PREMIUM = "premium", _("Premium")


class ApiScope(models.TextChoices):
    """What an API token may do (README, "Calls: rates, rating and the usage API")."""

    IMPORT = "usage:import", _("Import call records")
    READ = "usage:read", _("Read call records")
    AUTHORIZE = "calls:authorize", _("Authorize calls")


# What a token could do before tokens had scopes, and what one gets unless told otherwise.
DEFAULT_API_SCOPES = (ApiScope.IMPORT, ApiScope.AUTHORIZE)
