from django.urls import path

from credits import (
    views_advice,
    views_api,
    views_bills,
    views_messages,
    views_payment_methods,
    views_pools,
    views_purchase,
    views_rates,
    views_reports,
    views_subscription,
)

app_name = "credits"

urlpatterns: list = [
    path("message-center/", views_messages.message_center, name="message_center"),
    # Billing > Purchase services, the Communications Credits set-up, order confirmations
    path(
        "billing/purchase-services/",
        views_purchase.purchase_services,
        name="purchase_services",
    ),
    path(
        "billing/purchase-services/communications-credits/",
        views_purchase.credits_setup,
        name="credits_setup",
    ),
    path("billing/orders/<int:pk>/", views_purchase.order_detail, name="order_detail"),
    # Billing > Your products, the Communications Credits subscription and its dialogs
    path("billing/products/", views_subscription.products, name="products"),
    path(
        "billing/products/communications-credits/",
        views_subscription.credits_subscription,
        name="credits_subscription",
    ),
    path(
        "billing/products/communications-credits/add-funds/",
        views_subscription.credits_add_funds,
        name="credits_add_funds",
    ),
    path(
        "billing/products/communications-credits/recharge-settings/",
        views_subscription.credits_recharge_settings,
        name="credits_recharge_settings",
    ),
    path(
        "billing/products/communications-credits/payment-method/",
        views_subscription.credits_payment_method,
        name="credits_payment_method",
    ),
    # Billing > Bills & payments: monthly statements and payment attempts (issue 8)
    path("billing/bills/", views_bills.bills, name="bills"),
    path("billing/bills/<str:month>/", views_bills.bill_detail, name="bill_detail"),
    path(
        "billing/bills/<str:month>/download/", views_bills.bill_download, name="bill_download"
    ),
    # The Funding advice card, loaded after the page by the PSTN usage report (issue 8)
    path("billing/funding-advice/", views_advice.funding_advice_card, name="funding_advice"),
    # Reports > Minute pools (issue 8)
    path("reports/minute-pools/", views_pools.minute_pools, name="minute_pools"),
    # Billing > Payment methods
    path(
        "billing/payment-methods/",
        views_payment_methods.payment_methods,
        name="payment_methods",
    ),
    path("billing/payment-methods/add/", views_payment_methods.card_add_view, name="card_add"),
    path(
        "billing/payment-methods/<int:pk>/default/",
        views_payment_methods.card_set_default_view,
        name="card_set_default",
    ),
    path(
        "billing/payment-methods/<int:pk>/remove/",
        views_payment_methods.card_remove_view,
        name="card_remove",
    ),
    # Billing > Rates (read-only) and the usage API (issue 6)
    path("billing/rates/", views_rates.rates, name="rates"),
    path("api/v1/usage", views_api.usage_post, name="api_usage"),
    path("api/v1/calls/authorize", views_api.calls_authorize, name="api_calls_authorize"),
    # Reports > PSTN usage and its exports (issue 8)
    path("reports/pstn-usage/", views_reports.pstn_usage, name="pstn_usage"),
    path("reports/pstn-usage/export.csv", views_reports.pstn_usage_csv, name="pstn_usage_csv"),
    path("reports/pstn-usage/exports/", views_reports.pstn_usage_export_start,
         name="report_export_start"),
    path("reports/pstn-usage/exports/<int:export_id>/", views_reports.pstn_usage_export_detail,
         name="report_export_detail"),
    path("reports/pstn-usage/exports/<int:export_id>/download/",
         views_reports.pstn_usage_export_download, name="report_export_download"),
]
