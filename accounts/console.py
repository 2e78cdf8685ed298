"""What accounts adds to the console shell: its entries in the left navigation.

Every app may have a ``console`` module; ``AccountsConfig.ready()`` imports each one
(as the backoffice autodiscovers ``admin`` modules), and it registers the app's Home
cards (``accounts.shell.home``), navigation entries (``accounts.shell.navigation``)
and demo seeding (``accounts.demo``).
"""

from django.utils.translation import gettext_lazy as _

from accounts.permissions import Action
from accounts.shell.navigation import NavGroup, NavItem, nav_register

nav_register(NavItem(_("Home"), "accounts:home", icon="house-door"), order=0)
nav_register(
    NavGroup(
        _("Users"),
        "person",
        (NavItem(_("Active users"), "accounts:active_users", Action.VIEW_USERS),),
    ),
    order=10,
)
nav_register(
    NavGroup(
        _("Support"),
        "question-circle",
        (NavItem(_("Service requests"), "accounts:service_requests", Action.USE_CONSOLE),),
    ),
    order=50,
)
