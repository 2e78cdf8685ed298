"""Billing pages: Purchase services and the set-up, Your products and the Communications
Credits subscription with its dialogs, Bills & payments, Payment methods, and the
Funding advice card."""

from django.urls import path

from credits.billing.views import (
    balance_alert,
    bills,
    funding_advice,
    payment_methods,
    purchase,
    subscription,
    transactions,
)

urlpatterns = [
    # Billing > Purchase services, the Communications Credits set-up, order confirmations
    path("billing/purchase-services/", purchase.purchase_services, name="purchase_services"),
    path(
        "billing/purchase-services/communications-credits/",
        purchase.credits_setup,
        name="credits_setup",
    ),
    path("billing/orders/<int:pk>/", purchase.order_detail, name="order_detail"),
    # Billing > Your products, the Communications Credits subscription and its dialogs
    path("billing/products/", subscription.products, name="products"),
    path(
        "billing/products/communications-credits/",
        subscription.credits_subscription,
        name="credits_subscription",
    ),
    # The subscription page's Transactions, filtered, as CSV
    path(
        "billing/products/communications-credits/transactions.csv",
        transactions.credits_transactions_csv,
        name="credits_transactions_csv",
    ),
    path(
        "billing/products/communications-credits/add-funds/",
        subscription.credits_add_funds,
        name="credits_add_funds",
    ),
    path(
        "billing/products/communications-credits/recharge-settings/",
        subscription.credits_recharge_settings,
        name="credits_recharge_settings",
    ),
    path(
        "billing/products/communications-credits/balance-alert/",
        balance_alert.credits_balance_alert,
        name="credits_balance_alert",
    ),
    path(
        "billing/products/communications-credits/payment-method/",
        subscription.credits_payment_method,
        name="credits_payment_method",
    ),
    # Billing > Bills & payments: monthly statements, invoices and payment attempts
    path("billing/bills/", bills.bills, name="bills"),
    path("billing/bills/<str:month>/", bills.bill_detail, name="bill_detail"),
    path("billing/bills/<str:month>/download/", bills.bill_download, name="bill_download"),
    # Billing > Bills & payments: each invoice as a printable page
    path("billing/invoices/<str:number>/", bills.invoice_detail, name="invoice_detail"),
    # The Funding advice card: on the subscription page, and loaded after the PSTN usage
    # report's page (htmx) so the report's own queries stay the same
    path(
        "billing/funding-advice/",
        funding_advice.funding_advice_card,
        name="funding_advice",
    ),
    # Billing > Payment methods
    path("billing/payment-methods/", payment_methods.payment_methods, name="payment_methods"),
    path("billing/payment-methods/add/", payment_methods.card_add_view, name="card_add"),
    path(
        "billing/payment-methods/<int:pk>/default/",
        payment_methods.card_set_default_view,
        name="card_set_default",
    ),
    path(
        "billing/payment-methods/<int:pk>/remove/",
        payment_methods.card_remove_view,
        name="card_remove",
    ),
]
