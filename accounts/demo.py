"""Demo tenants (README, "Demo sign-ins"): Contoso, Fabrikam and Northwind Traders.

Everything here is idempotent: running it again with the same arguments changes nothing
but the demo password, which is set to the one given.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext_lazy as _lazy

from accounts.batching import in_batches
from accounts.models import (
    AdminRole,
    LicenseAssignment,
    Product,
    RoleAssignment,
    Subscription,
    Tenant,
    TenantDomain,
    User,
)
from accounts.security.demo import demo_devices_seed

# The sign-in name's local part for each role's demo admin, and the admin's name.
ROLE_ADMINS: dict[str, tuple[str, str]] = {
    AdminRole.GLOBAL_ADMIN: ("admin", "Megan Bowen"),
    AdminRole.BILLING_ADMIN: ("billing", "Alex Wilber"),
    AdminRole.LICENSE_ADMIN: ("license", "Isaiah Langer"),
    AdminRole.USER_ADMIN: ("useradmin", "Johanna Lorenz"),
    AdminRole.GLOBAL_READER: ("reader", "Lee Gu"),
    AdminRole.REPORTS_READER: ("reports", "Lidia Holloway"),
    AdminRole.TEAMS_ADMIN: ("teams", "Nestor Wilke"),
    AdminRole.TEAMS_COMMS_ADMIN: ("teamscomms", "Pradeep Gupta"),
    AdminRole.TEAMS_COMMS_SUPPORT_ENGINEER: ("teamsengineer", "Grady Archie"),
    AdminRole.TEAMS_COMMS_SUPPORT_SPECIALIST: ("teamsspecialist", "Lynne Robbins"),
    AdminRole.SKYPE_ADMIN: ("skype", "Miriam Graham"),
    AdminRole.HELPDESK_ADMIN: ("helpdesk", "Patti Fernandez"),
    AdminRole.SERVICE_SUPPORT_ADMIN: ("servicesupport", "Henrietta Mueller"),
    AdminRole.DEVICE_ADMIN: ("devices", "Joni Sherman"),
    AdminRole.APPLICATION_ADMIN: ("apps", "Diego Siciliani"),
    AdminRole.CLOUD_DEVICE_ADMIN: ("clouddevices", "Christie Cline"),
    AdminRole.AUTHENTICATION_ADMIN: ("authentication", "Enrico Cattaneo"),
    AdminRole.PRIVILEGED_AUTHENTICATION_ADMIN: ("privauth", "Irvin Sayers"),
}

PLATFORM_USERNAME = "platform@console.example"

_FIRST = [
    "Adele",
    "Allan",
    "Ben",
    "Carla",
    "Chen",
    "Dana",
    "Elif",
    "Emma",
    "Farah",
    "Gabriel",
    "Hana",
    "Ivan",
    "Jamal",
    "Julia",
    "Kenji",
    "Laura",
    "Liam",
    "Maria",
    "Mateo",
    "Mei",
    "Nadia",
    "Noah",
    "Olga",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sam",
    "Sofia",
    "Tariq",
    "Uma",
    "Victor",
    "Wei",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Amara",
    "Bruno",
    "Chloe",
    "Diego",
    "Erik",
    "Fatima",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Luca",
]
_LAST = [
    "Vance",
    "Deyoung",
    "Andersen",
    "Brown",
    "Castillo",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Meyer",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Urban",
    "Varga",
    "Wagner",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Abbott",
    "Becker",
    "Costa",
    "Duarte",
    "Engel",
    "Ferreira",
    "Gupta",
    "Horvat",
]
_DEPARTMENTS = {
    "Sales": ("Account Executive", "Sales Manager", "Sales Representative"),
    "Support": ("Support Engineer", "Support Lead"),
    "Finance": ("Accountant", "Controller"),
    "Engineering": ("Software Engineer", "Engineering Manager", "QA Engineer"),
    "Marketing": ("Marketing Specialist", "Content Lead"),
    "Operations": ("Operations Analyst", "Facilities Coordinator"),
}


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    country: str
    currency: str
    domain: str
    users: int
    volume_licensing: bool = False
    # The IANA time zone the console shows the organization's times in.
    time_zone: str = "UTC"
    # Usage locations of ordinary users, with weights.
    locations: tuple[tuple[str, int], ...] = ()
    # product code -> (seats, how many users get it)
    subscriptions: dict[str, tuple[int, int]] = field(default_factory=dict)


DEMO_TENANTS: tuple[DemoTenant, ...] = (
    DemoTenant(
        slug="contoso",
        name="Contoso",
        country="US",
        currency="USD",
        domain="contoso.example",
        users=300,
        time_zone="America/New_York",
        locations=(("US", 80), ("CA", 8), ("GB", 5), ("DE", 4), ("IN", 3)),
        subscriptions={
            Product.MICROSOFT_365_E5: (280, 240),
            Product.PHONE_SYSTEM: (40, 30),
            Product.DOMESTIC_CALLING_PLAN: (180, 160),
            Product.DOMESTIC_INTERNATIONAL_CALLING_PLAN: (40, 30),
            Product.AUDIO_CONFERENCING: (50, 40),
            Product.COMMUNICATIONS_CREDITS: (0, 90),
        },
    ),
    DemoTenant(
        slug="fabrikam",
        name="Fabrikam",
        country="GB",
        currency="GBP",
        domain="fabrikam.example",
        users=40,
        time_zone="Europe/London",
        locations=(("GB", 85), ("IE", 10), ("FR", 5)),
        subscriptions={
            Product.PHONE_SYSTEM: (60, 50),
            Product.DOMESTIC_CALLING_PLAN: (50, 40),
            Product.AUDIO_CONFERENCING: (60, 45),
            Product.COMMUNICATIONS_CREDITS: (0, 20),
        },
    ),
    DemoTenant(
        slug="northwind",
        name="Northwind Traders",
        country="DE",
        currency="EUR",
        domain="northwind.example",
        users=40,
        time_zone="Europe/Berlin",
        volume_licensing=True,
        locations=(("DE", 80), ("AT", 10), ("CH", 10)),
        subscriptions={
            Product.MICROSOFT_365_E5: (80, 50),
            Product.DOMESTIC_CALLING_PLAN: (60, 40),
        },
    ),
)


@dataclass
class SeedResult:
    tenants: list[Tenant] = field(default_factory=list)
    created_users: int = 0
    sign_ins: list[tuple[str, str, str]] = field(default_factory=list)  # tenant, username, role


def _directory(spec: DemoTenant, rng: random.Random) -> list[dict]:
    """The ordinary (non-admin) users of a demo tenant, the same on every run."""
    people, seen = [], set()
    codes, weights = zip(*spec.locations, strict=True)
    for n in range(spec.users):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        local = f"{first}.{last}".lower()
        if local in seen:
            local = f"{local}{n}"
        seen.add(local)
        department = rng.choice(sorted(_DEPARTMENTS))
        people.append(
            {
                "username": f"{local}@{spec.domain}",
                "display_name": f"{first} {last}",
                "department": department,
                "job_title": rng.choice(_DEPARTMENTS[department]),
                # Every 25th user has no usage location yet, every 40th is disabled.
                "usage_location": "" if n % 25 == 24 else rng.choices(codes, weights)[0],
                "is_active": n % 40 != 39,
            }
        )
    return people


def seed_tenant(spec: DemoTenant, *, password_hash: str, result: SeedResult) -> Tenant:
    tenant, _ = Tenant.objects.update_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "country": spec.country,
            "currency": spec.currency,
            "volume_licensing": spec.volume_licensing,
            "time_zone": spec.time_zone,
        },
    )
    result.tenants.append(tenant)
    TenantDomain.objects.get_or_create(name=spec.domain, defaults={"tenant": tenant})
    rng = random.Random(f"demo-{spec.slug}")  # noqa: S311 - demo data, not security

    admins = [
        {
            "username": f"{local}@{spec.domain}",
            "display_name": name,
            "role": role,
            "department": "IT",
            "job_title": AdminRole(role).label,
            "usage_location": spec.country,
            "is_active": True,
        }
        for role, (local, name) in ROLE_ADMINS.items()
    ]
    people = [*admins, *_directory(spec, rng)]
    existing = set(User.objects.filter(tenant=tenant).values_list("username", flat=True))
    new_users = [
        User(
            tenant=tenant,
            password=password_hash,
            **{k: v for k, v in person.items() if k != "role"},
        )
        for person in people
        if person["username"] not in existing
    ]
    User.objects.bulk_create(new_users)
    result.created_users += len(new_users)
    User.objects.filter(tenant=tenant).update(password=password_hash)

    by_name = dict(User.objects.filter(tenant=tenant).values_list("username", "pk"))
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user_id=by_name[a["username"]], role=a["role"]) for a in admins],
        ignore_conflicts=True,
    )
    result.sign_ins.extend((spec.name, a["username"], AdminRole(a["role"]).label) for a in admins)

    # Licenses go to enabled users with a usage location, admins first, same users every run.
    licensable = [by_name[p["username"]] for p in people if p["usage_location"] and p["is_active"]]
    products = {p.code: p for p in Product.objects.filter(code__in=spec.subscriptions)}
    for code, (seats, assigned) in spec.subscriptions.items():
        product = products[code]
        Subscription.objects.update_or_create(
            tenant=tenant, product=product, defaults={"seats": seats, "status": "active"}
        )
        holders = licensable[:assigned]
        LicenseAssignment.objects.bulk_create(
            [LicenseAssignment(user_id=pk, tenant=tenant, product=product) for pk in holders],
            ignore_conflicts=True,
        )
    return tenant


EXTRA_USERS_TENANT = "contoso"
MAX_EXTRA_USERS = 100_000


def seed_extra_users(*, tenant: Tenant, count: int, password_hash: str, domain: str) -> int:
    """Make sure ``tenant`` has ``count`` generated users (``person00001@...``); returns
    how many were created. Used to try Active users at scale (``seed_demo --users N``)."""
    if count <= 0:
        return 0
    usernames = [f"person{n:05d}@{domain}" for n in range(1, count + 1)]
    existing: set[str] = set()
    for batch in in_batches(usernames):
        existing.update(
            User.objects.filter(tenant=tenant, username__in=batch).values_list(
                "username", flat=True
            )
        )
    codes = ("US", "US", "US", "US", "CA", "GB", "DE", "IN")
    new_users = []
    for n, username in enumerate(usernames, start=1):
        if username in existing:
            continue
        department = sorted(_DEPARTMENTS)[n % len(_DEPARTMENTS)]
        new_users.append(
            User(
                tenant=tenant,
                username=username,
                password=password_hash,
                display_name=f"{_FIRST[n % len(_FIRST)]} {_LAST[(n // len(_FIRST)) % len(_LAST)]}",
                department=department,
                job_title=_DEPARTMENTS[department][n % len(_DEPARTMENTS[department])],
                # Every 25th generated user has no usage location yet.
                usage_location="" if n % 25 == 0 else codes[n % len(codes)],
            )
        )
    User.objects.bulk_create(new_users, batch_size=2000)
    return len(new_users)


def seed_demo(*, password: str, extra_users: int = 0) -> SeedResult:
    """Create or refresh the demo tenants and the platform superuser.

    ``extra_users`` adds that many generated users to Contoso (idempotent too).
    """
    if not 0 <= extra_users <= MAX_EXTRA_USERS:
        raise ValueError(f"extra_users must be between 0 and {MAX_EXTRA_USERS}.")
    result = SeedResult()
    password_hash = make_password(password)
    with transaction.atomic():
        for spec in DEMO_TENANTS:
            tenant = seed_tenant(spec, password_hash=password_hash, result=result)
            if spec.slug == EXTRA_USERS_TENANT and extra_users:
                result.created_users += seed_extra_users(
                    tenant=tenant,
                    count=extra_users,
                    password_hash=password_hash,
                    domain=spec.domain,
                )
        platform, created = User.objects.get_or_create(
            username=PLATFORM_USERNAME,
            defaults={
                "display_name": "Platform administrator",
                "is_staff": True,
                "is_superuser": True,
                "tenant": None,
            },
        )
        platform.password = password_hash
        platform.save(update_fields=["password"])
        result.created_users += int(created)
        result.sign_ins.append(
            (_lazy("Backoffice (/admin/)"), PLATFORM_USERNAME, _lazy("Platform staff"))
        )
        # The demo's authenticator apps (README, "Demo sign-ins": the published secret).
        demo_admins = User.objects.filter(
            tenant__slug__in=[spec.slug for spec in DEMO_TENANTS]
        ).admins().select_related("tenant")
        demo_devices_seed(users=[*demo_admins, platform])
    return result


# ------------------------------------------------------------- what the other apps seed


class DemoSeeder(Protocol):
    """What an app built on accounts adds to ``manage.py seed_demo``, registered with
    ``demo_seeder_register`` in the app's ``console`` module.

    ``check`` runs before anything is written and raises ``DemoRefused`` to stop the
    command; ``seed`` runs after the demo tenants exist, may write progress with
    ``write`` (and problems with ``warn``) and returns the lines of its summary.
    """

    def add_arguments(self, parser) -> None: ...

    def check(self, *, options: dict, now: datetime) -> None: ...

    def seed(
        self,
        *,
        result: SeedResult,
        options: dict,
        now: datetime,
        write: Callable[[str], None],
        warn: Callable[[str], None],
    ) -> list[str]: ...


class DemoRefused(Exception):
    """A seeder's options can't be honoured; nothing was written."""


_SEEDERS: list[DemoSeeder] = []


def demo_seeder_register(seeder: DemoSeeder) -> None:
    _SEEDERS.append(seeder)


def demo_seeders() -> tuple[DemoSeeder, ...]:
    return tuple(_SEEDERS)
