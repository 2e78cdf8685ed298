"""The product catalog: reference data every installation starts with.

Descriptions and feature lines are marked with gettext_noop so that the catalogs translate
them: the pages show them with {% translate %} (README, Languages)."""

from decimal import Decimal

from django.db import migrations
from django.utils.translation import gettext_noop

CATALOG = [
    {
        "code": "SPE_E5",
        "name": "Microsoft 365 E5",
        "category": "microsoft_365",
        "monthly_price": Decimal("57.00"),
        "sort_order": 10,
        "description": gettext_noop("Productivity apps, security and compliance, with Teams Phone and Audio Conferencing included."),
        "features": "\n".join([gettext_noop("Microsoft 365 apps"), gettext_noop("Teams Phone (Phone System)"), gettext_noop("Audio Conferencing"), gettext_noop("Advanced security and compliance")]),
        "includes": ["MCOEV", "MCOMEETADV"],
    },
    {
        "code": "MCOEV",
        "name": "Phone System",
        "category": "teams_phone",
        "monthly_price": Decimal("10.00"),
        "sort_order": 20,
        "description": gettext_noop("Cloud phone system for Teams: a phone number, call control and PSTN connectivity options."),
        "features": "\n".join([gettext_noop("Phone number for each user"), gettext_noop("Call forwarding, transfer and voicemail"), gettext_noop("Auto attendants and call queues")]),
        "includes": [],
    },
    {
        "code": "MCOPSTN1",
        "name": "Domestic Calling Plan",
        "category": "calling_plans",
        "monthly_price": Decimal("12.00"),
        "sort_order": 30,
        "description": gettext_noop("Pooled domestic calling minutes: 3,000 per user in the US, Canada and Puerto Rico, 1,200 elsewhere."),
        "features": "\n".join([gettext_noop("Domestic minutes pooled across the organization"), gettext_noop("International calls are paid with Communications Credits")]),
        "includes": [],
    },
    {
        "code": "MCOPSTN2",
        "name": "Domestic and International Calling Plan",
        "category": "calling_plans",
        "monthly_price": Decimal("24.00"),
        "sort_order": 40,
        "description": gettext_noop("Pooled domestic minutes plus 600 international minutes per user per month."),
        "features": "\n".join([gettext_noop("Domestic minutes pooled across the organization"), gettext_noop("600 international minutes per user per month")]),
        "includes": [],
    },
    {
        "code": "MCOMEETADV",
        "name": "Audio Conferencing",
        "category": "conferencing",
        "monthly_price": Decimal("4.00"),
        "sort_order": 50,
        "description": gettext_noop("Dial-in numbers for meetings and 60 dial-out minutes per user per month to Zone A countries."),
        "features": "\n".join([gettext_noop("Dial-in conferencing numbers"), gettext_noop("60 pooled dial-out minutes per user per month (Zone A)")]),
        "includes": [],
    },
    {
        "code": "MCOPSTNC",
        "name": "Communications Credits",
        "category": "add_ons",
        "monthly_price": Decimal("0.00"),
        "unlimited_seats": True,
        "sort_order": 60,
        "description": gettext_noop("A prepaid balance for toll-free numbers, conference dial-out, international calls and calls beyond your plans' minutes."),
        "features": "\n".join([gettext_noop("Pay per minute from a prepaid balance"), gettext_noop("Toll-free numbers and conference dial-out"), gettext_noop("Auto-recharge so calls never stop")]),
        "includes": [],
    },
]


def create_catalog(apps, schema_editor):
    Product = apps.get_model("accounts", "Product")
    products = {}
    for item in CATALOG:
        fields = {k: v for k, v in item.items() if k not in {"code", "includes"}}
        products[item["code"]], _ = Product.objects.update_or_create(code=item["code"], defaults=fields)
    for item in CATALOG:
        if item["includes"]:
            products[item["code"]].includes.set([products[c] for c in item["includes"]])


def remove_catalog(apps, schema_editor):
    Product = apps.get_model("accounts", "Product")
    Product.objects.filter(code__in=[item["code"] for item in CATALOG], subscriptions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_catalog, remove_catalog)]
