"""What credits adds to the console shell (``accounts.console`` explains the pattern):
the Communications Credits card and alerts on Home, the Billing and Reports entries and
the Message center in the left navigation, the credits part of the demo, and the guard
that keeps a tenant's currency and country once its credits have a history."""

from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.demo import demo_seeder_register
from accounts.models import Tenant
from accounts.permissions import Action
from accounts.services import tenant_change_guard_register
from accounts.services.tenants import TenantChanges
from accounts.shell.home import HomeCard, home_card_register
from accounts.shell.navigation import NavGroup, NavItem, nav_register
from credits.billing.models import Order
from credits.billing.selectors.subscription import HomeCreditsCard, credits_home_card
from credits.demo.seeding import CreditsDemo
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry


def _balance_card(request: HttpRequest) -> HomeCreditsCard:
    """The balance with links to Add more funds and the subscription, a failed
    auto-recharge that still stands and, for the admins who pay (the billing roles), an
    overdue invoice (``credits_home_card`` counts the queries)."""
    return credits_home_card(
        tenant=request.tenant, invoices=request.user.has_action(Action.MANAGE_BILLING)
    )


home_card_register(
    HomeCard(
        name="communications-credits",
        build=_balance_card,
        template="credits/billing/includes/home_balance_card.html",
        alerts_template="credits/billing/includes/home_alerts.html",
        action=Action.VIEW_BILLING,
        order=10,
    )
)

nav_register(
    NavGroup(
        _("Billing"),
        "credit-card",
        (
            NavItem(_("Purchase services"), "credits:purchase_services", Action.VIEW_BILLING),
            NavItem(_("Your products"), "credits:products", Action.VIEW_BILLING),
            NavItem(_("Bills & payments"), "credits:bills", Action.VIEW_BILLING),
            NavItem(_("Payment methods"), "credits:payment_methods", Action.VIEW_BILLING),
            NavItem(
                _("Billing notifications"), "credits:billing_notifications", Action.VIEW_BILLING
            ),
            NavItem(_("Rates"), "credits:rates", Action.VIEW_BILLING),
            NavItem(_("Webhooks"), "credits:webhooks", Action.MANAGE_BILLING),
            NavItem(_("Spend controls"), "credits:spend_controls", Action.VIEW_BILLING),
            NavItem(
                _("Calling restrictions"), "credits:calling_restrictions", Action.VIEW_BILLING
            ),
        ),
    ),
    order=20,
)
nav_register(
    NavGroup(
        _("Reports"),
        "bar-chart",
        (
            NavItem(_("PSTN usage"), "credits:pstn_usage", Action.VIEW_USAGE_REPORTS),
            NavItem(_("Minute pools"), "credits:minute_pools", Action.VIEW_USAGE_REPORTS),
        ),
    ),
    order=30,
)
nav_register(
    NavItem(
        _("Message center"), "credits:message_center", Action.VIEW_MESSAGE_CENTER,
        icon="megaphone",
    ),
    order=40,
)

demo_seeder_register(CreditsDemo())


def _credits_keep_currency_and_country(tenant: Tenant, changes: TenantChanges) -> str | None:
    """A tenant whose credit account has orders or ledger entries keeps its currency
    (every amount is in it) and its country (where its credits may be sold, its region
    for Enterprise Agreements); an account without either still keeps its currency,
    which never changes."""
    if "currency" not in changes and "country" not in changes:
        return None
    account = CreditAccount.objects.filter(tenant=tenant).first()
    if account is None:
        return None
    if (
        Order.objects.filter(tenant=tenant).exists()
        or LedgerEntry.objects.filter(account=account).exists()
    ):
        return gettext(
            "%(tenant)s has Communications Credits with orders or ledger entries in "
            "%(currency)s: its currency and country can't change."
        ) % {"tenant": tenant.name, "currency": account.currency}
    if "currency" in changes:
        return gettext(
            "%(tenant)s has a credit account in %(currency)s, and a credit account's "
            "currency never changes."
        ) % {"tenant": tenant.name, "currency": account.currency}
    return None


tenant_change_guard_register(_credits_keep_currency_and_country)
