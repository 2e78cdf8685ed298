"""The credit account: one per tenant, holding the cached balance and recharge settings."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models.tenants import Tenant, validate_currency
from credits.common.bulk import prepared_cursor
from credits.common.money import ZERO, currency_decimals, decimal_places, money_field
from credits.ledger.choices import (
    CreditAccountStatus,
)


class CreditAccountQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> CreditAccountQuerySet:
        return self.filter(tenant=tenant)

    def open(self) -> CreditAccountQuerySet:
        return self.exclude(status=CreditAccountStatus.CLOSED)

    def locked(self, account: CreditAccount) -> CreditAccount:
        """The account read again under its row lock (FOR NO KEY UPDATE on PostgreSQL),
        with its tenant, inside the caller's transaction.

        The one lock of a credit account: postings, recharge settings and the
        auto-recharge check all take it, so they are serialized per account. Only the
        account's row is locked (``of=("self",)``), never the joined tenant, so it cannot
        deadlock with the usage import, which locks the tenant first and then the account.
        Other transactions may still insert rows that reference the account.
        """
        if self.db != "default" or connection.vendor != "postgresql":
            return (
                self.select_for_update(no_key=True, of=("self",))
                .select_related("tenant")
                .get(pk=account.pk)
            )
        return _locked_prepared(account.pk)


def _locked_prepared(pk: int) -> CreditAccount:
    """``locked`` on PostgreSQL as one prepared statement (planned once per connection,
    docs/benchmarks.md "How a posting is written"): the same row lock and columns as the
    ORM's ``select_for_update(no_key=True, of=("self",)).select_related("tenant")``."""
    account_columns = [f.attname for f in CreditAccount._meta.concrete_fields]
    tenant_columns = [f.attname for f in Tenant._meta.concrete_fields]
    quote = connection.ops.quote_name
    select = ", ".join(
        [f"a.{quote(name)}" for name in account_columns]
        + [f"t.{quote(name)}" for name in tenant_columns]
    )
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {select} FROM {quote(CreditAccount._meta.db_table)} a "  # noqa: S608
            f"JOIN {quote(Tenant._meta.db_table)} t ON t.id = a.tenant_id "
            "WHERE a.id = %s FOR NO KEY UPDATE OF a",
            [pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise CreditAccount.DoesNotExist("CreditAccount matching query does not exist.")
    db = connection.alias
    account = CreditAccount.from_db(db, account_columns, row[: len(account_columns)])
    tenant = Tenant.from_db(db, tenant_columns, row[len(account_columns):])
    CreditAccount.tenant.field.set_cached_value(account, tenant)
    return account


class CreditAccount(models.Model):
    """A tenant's Communications Credits: the balance, its deficit and recharge settings.

    ``balance`` and ``deficit`` are caches the ledger service keeps in the same transaction
    as each posting: ``balance`` is the sum of the account's entries and equals the sum of
    its lots' remaining amounts minus ``deficit``. Nothing else writes them.
    """

    tenant = models.OneToOneField(
        "accounts.Tenant", on_delete=models.PROTECT, related_name="credit_account",
        verbose_name=_("tenant"),
    )
    currency = models.CharField(
        _("currency"), max_length=3, validators=[validate_currency],
        help_text=_("ISO 4217 code; every amount of the account is in it. Never changes."),
    )
    balance = money_field(
        _("balance"), default=ZERO, editable=False,
        help_text=_(
            "Sum of the ledger entries. It counts funds past their expiry until the expiry "
            "run writes their entry; the usable balance never does."
        ),
    )
    deficit = money_field(
        _("deficit"), default=ZERO, editable=False,
        help_text=_(
            "Usage charged beyond all funds (negative balance policy); the next funding "
            "covers it first."
        ),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CreditAccountStatus.choices,
        default=CreditAccountStatus.ACTIVE,
    )
    auto_recharge_enabled = models.BooleanField(_("auto-recharge"), default=False)
    recharge_amount = money_field(
        _("recharge with"), null=True, blank=True,
        help_text=_("Amount bought by each auto-recharge."),
    )
    recharge_trigger = money_field(
        _("when the balance falls below"), null=True, blank=True,
        help_text=_("Auto-recharge starts when the balance falls below this amount."),
    )
    monthly_recharge_limit = money_field(
        _("monthly recharge limit"), null=True, blank=True,
        help_text=_("Optional cap on auto-recharges per calendar month; empty means no cap."),
    )
    recharge_settings_updated_at = models.DateTimeField(
        _("recharge settings changed at"), null=True, blank=True, editable=False,
        help_text=_("A change lets a failed auto-recharge be tried again at once."),
    )
    last_posted_at = models.DateTimeField(
        _("last posting at"), null=True, blank=True, editable=False,
        help_text=_("Time of the latest entry; the ledger is kept in time order."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = CreditAccountQuerySet.as_manager()

    class Meta:
        ordering = ["tenant__name"]
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="credits_account_currency_iso3"
            ),
            models.CheckConstraint(
                condition=Q(deficit__gte=0), name="credits_account_deficit_not_negative"
            ),
            # balance = sum(remaining of lots) - deficit, and lots never go below zero.
            models.CheckConstraint(
                condition=Q(balance__gte=-F("deficit")), name="credits_account_balance_floor"
            ),
            models.CheckConstraint(
                condition=Q(recharge_amount__isnull=True) | Q(recharge_amount__gt=0),
                name="credits_account_recharge_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(recharge_trigger__isnull=True) | Q(recharge_trigger__gte=0),
                name="credits_account_recharge_trigger_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(monthly_recharge_limit__isnull=True) | Q(monthly_recharge_limit__gt=0),
                name="credits_account_recharge_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(auto_recharge_enabled=False)
                | Q(recharge_amount__isnull=False, recharge_trigger__isnull=False),
                name="credits_account_auto_recharge_configured",
                violation_error_message=_(
                    "Auto-recharge needs a recharge amount and a trigger amount."
                ),
            ),
            models.CheckConstraint(
                condition=Q(auto_recharge_enabled=False)
                | Q(recharge_trigger__lt=F("recharge_amount")),
                name="credits_account_trigger_below_recharge",
                violation_error_message=_(
                    "“When the balance falls below” must be less than “Recharge with”."
                ),
            ),
            models.CheckConstraint(
                condition=Q(monthly_recharge_limit__isnull=True)
                | Q(recharge_amount__isnull=True)
                | Q(monthly_recharge_limit__gte=F("recharge_amount")),
                name="credits_account_recharge_limit_covers_one_recharge",
                violation_error_message=_(
                    "The monthly recharge limit must allow at least one recharge."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} ({self.currency})"

    def clean(self) -> None:
        super().clean()
        if not self.currency:
            return
        decimals = currency_decimals(self.currency)
        errors = {}
        for name in ("recharge_amount", "recharge_trigger", "monthly_recharge_limit"):
            value: Decimal | None = getattr(self, name)
            if value is None:
                continue
            if decimal_places(value) > decimals:
                errors[name] = _("Use at most %(n)d decimal places in %(currency)s.") % {
                    "n": decimals, "currency": self.currency,
                }
        if errors:
            raise ValidationError(errors)

    @property
    def is_closed(self) -> bool:
        return self.status == CreditAccountStatus.CLOSED

    @property
    def currency_decimals(self) -> int:
        return currency_decimals(self.currency)
