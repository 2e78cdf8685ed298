"""The credits pages, one URL module per capability, under one namespace (``credits:``)."""

from credits.billing import urls as billing
from credits.notifications import urls as notifications
from credits.notifications.webhooks import urls as webhooks
from credits.reports import urls as reports
from credits.usage import urls as usage

app_name = "credits"

urlpatterns = [
    *notifications.urlpatterns,
    *webhooks.urlpatterns,
    *billing.urlpatterns,
    *reports.urlpatterns,
    *usage.urlpatterns,
]
