"""Reports: PSTN usage with its exports, and Minute pools."""

from django.urls import path

from credits.reports.views import minute_pools, pstn_usage

urlpatterns = [
    path("reports/pstn-usage/", pstn_usage.pstn_usage, name="pstn_usage"),
    path("reports/pstn-usage/export.csv", pstn_usage.pstn_usage_csv, name="pstn_usage_csv"),
    path(
        "reports/pstn-usage/exports/",
        pstn_usage.pstn_usage_export_start,
        name="report_export_start",
    ),
    path(
        "reports/pstn-usage/exports/<int:export_id>/",
        pstn_usage.pstn_usage_export_detail,
        name="report_export_detail",
    ),
    path(
        "reports/pstn-usage/exports/<int:export_id>/download/",
        pstn_usage.pstn_usage_export_download,
        name="report_export_download",
    ),
    path("reports/minute-pools/", minute_pools.minute_pools, name="minute_pools"),
]
