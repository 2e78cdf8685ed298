"""A URLconf in which Billing > Purchase services exists, whether or not it is built yet."""

from django.http import HttpResponse
from django.urls import include, path


def _purchase_services(request):
    return HttpResponse("Purchase services")


urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
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
