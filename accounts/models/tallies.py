"""Running tallies of each tenant's directory, for Home and Your products.

The rows are changes, not totals: a tenant's number of users, enabled users and licensed
users is the sum of its ``DirectoryTally`` rows, and a product's licenses in use the sum
of its ``LicenseTally`` rows. On PostgreSQL the database writes them itself: statement
triggers on the users and license assignments tables add one row per tenant (and
product) a statement changed, whatever wrote it (the console's services, the backoffice,
bulk loads, raw SQL), so the counts can't drift from the rows they count and cost the
same at any directory size. Appending instead of updating one row per tenant means two
admins saving at once never wait on each other; the daily jobs fold each tenant's rows
into one (``accounts.services.tallies.tallies_compact``). On SQLite there are no triggers
and the selectors count the directory itself. docs/architecture.md, "Directory tallies".

Neither table has a foreign key: a tally outlives a deleted tenant's users for a moment
(the folding drops it), and writing one never locks the tenant's row.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DirectoryTally(models.Model):
    tenant_id = models.BigIntegerField(_("tenant"))
    users = models.IntegerField(_("users"), default=0)
    enabled_users = models.IntegerField(_("enabled users"), default=0)
    licensed_users = models.IntegerField(_("licensed users"), default=0)

    class Meta:
        verbose_name = _("directory tally")
        verbose_name_plural = _("directory tallies")
        indexes = [models.Index(fields=["tenant_id"], name="directory_tally_tenant_idx")]

    def __str__(self) -> str:
        return f"tenant {self.tenant_id}: {self.users:+d} users"


class LicenseTally(models.Model):
    tenant_id = models.BigIntegerField(_("tenant"))
    product_id = models.BigIntegerField(_("product"))
    assigned = models.IntegerField(_("licenses assigned"), default=0)

    class Meta:
        verbose_name = _("license tally")
        verbose_name_plural = _("license tallies")
        indexes = [
            models.Index(fields=["tenant_id", "product_id"], name="license_tally_tenant_idx")
        ]

    def __str__(self) -> str:
        return f"tenant {self.tenant_id}, product {self.product_id}: {self.assigned:+d}"
