"""A URLconf in which Billing > Purchase services exists, whether or not it is built yet."""

from django.http import HttpResponse
from django.urls import include, path

from config.urls import language_urlpatterns


def _purchase_services(request):
    return HttpResponse("Purchase services")


urlpatterns = [
    *language_urlpatterns,
    path("", include("accounts.urls")),
    path(
        "",
        include(
            (
                [
                    path(
                        "billing/purchase-services/",
                        _purchase_services,
                        name="purchase_services",
                    )
                ],
                "credits",
            )
        ),
    ),
]
