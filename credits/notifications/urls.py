"""The Message center: every notification sent, with its recipients; Billing
notifications: who gets the billing emails, and each admin's own choice."""

from django.urls import path

from credits.notifications import views

urlpatterns = [
    path("message-center/", views.message_center, name="message_center"),
    path("billing/notifications/", views.billing_notifications, name="billing_notifications"),
    path(
        "billing/notifications/mine/",
        views.notification_preferences,
        name="notification_preferences",
    ),
]
