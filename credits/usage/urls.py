"""Usage pages and APIs: Billing > Rates (read-only), the usage import and call
authorization APIs."""

from django.urls import path

from credits.usage.views import api, rates

urlpatterns = [
    path("billing/rates/", rates.rates, name="rates"),
    path("api/v1/usage", api.usage_post, name="api_usage"),
    path("api/v1/calls/authorize", api.calls_authorize, name="api_calls_authorize"),
]
