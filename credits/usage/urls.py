"""Usage pages and APIs: Billing > Rates (read-only), the usage import and call
authorization APIs, and Microsoft Graph's getPstnCalls."""

from django.urls import path, re_path

from credits.usage.views import api, controls, graph, rates

urlpatterns = [
    path("billing/rates/", rates.rates, name="rates"),
    path("billing/spend-controls/", controls.spend_controls, name="spend_controls"),
    path("billing/spend-controls/lift/", controls.spend_cap_lift_view, name="spend_cap_lift"),
    path(
        "billing/calling-restrictions/", controls.calling_restrictions,
        name="calling_restrictions",
    ),
    path("api/v1/usage", api.usage_post, name="api_usage"),
    path("api/v1/calls/authorize", api.calls_authorize, name="api_calls_authorize"),
    # As Graph spells it, and as Microsoft's SDKs send it (the function's full name).
    re_path(
        r"^v1\.0/communications/callRecords/(?:microsoft\.graph\.callRecords\.)?"
        r"getPstnCalls\((?P<parameters>[^/]*)\)$",
        graph.pstn_calls, name="graph_pstn_calls",
    ),
]
