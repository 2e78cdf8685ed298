"""Billing > Webhooks: the endpoints and their delivery logs."""

from django.urls import path

from credits.notifications.webhooks import views

urlpatterns = [
    path("billing/webhooks/", views.webhooks, name="webhooks"),
    path("billing/webhooks/add/", views.webhook_add, name="webhook_add"),
    path("billing/webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("billing/webhooks/<int:pk>/edit/", views.webhook_edit, name="webhook_edit"),
    path(
        "billing/webhooks/<int:pk>/roll-secret/",
        views.webhook_secret_roll_view,
        name="webhook_secret_roll",
    ),
    path("billing/webhooks/<int:pk>/enable/", views.webhook_enable, name="webhook_enable"),
    path("billing/webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path(
        "billing/webhooks/<int:pk>/deliveries/<int:delivery_pk>/resend/",
        views.webhook_resend,
        name="webhook_resend",
    ),
]
