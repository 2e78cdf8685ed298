"""What credits adds to the console shell (``accounts.console`` explains the pattern):
the Communications Credits card and alerts on Home, the Billing and Reports entries and
the Message center in the left navigation, and the credits part of the demo."""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.demo import demo_seeder_register
from accounts.permissions import Action
from accounts.shell.home import HomeCard, home_card_register
from accounts.shell.navigation import NavGroup, NavItem, nav_register
from credits.billing.selectors.subscription import HomeCreditsCard, credits_home_card
from credits.demo.seeding import CreditsDemo


def _balance_card(request: HttpRequest) -> HomeCreditsCard:
    """The balance with links to Add more funds and the subscription, and a failed
    auto-recharge that still stands (two queries, three when it failed)."""
    return credits_home_card(tenant=request.tenant)


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
            NavItem(_("Rates"), "credits:rates", Action.VIEW_BILLING),
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
