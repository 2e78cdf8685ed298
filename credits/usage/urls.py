"""Usage pages and APIs: Billing > Rates (read-only), the usage import and call
authorization APIs, and Microsoft Graph's getPstnCalls."""

from django.urls import path, re_path

from credits.usage.views import api, graph, rates

urlpatterns = [
    path("billing/rates/", rates.rates, name="rates"),
    path("api/v1/usage", api.usage_post, name="api_usage"),
    path("api/v1/calls/authorize", api.calls_authorize, name="api_calls_authorize"),
    # As Graph spells it, and as Microsoft's SDKs send it (the function's full name).
    re_path(
        r"^v1\.0/communications/callRecords/(?:microsoft\.graph\.callRecords\.)?"
        r"getPstnCalls\((?P<parameters>[^/]*)\)$",
        graph.pstn_calls, name="graph_pstn_calls",
    ),
]
