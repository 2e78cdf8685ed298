"""The Message center: every notification sent, with its recipients."""

from django.urls import path

from credits.notifications import views

urlpatterns = [
    path("message-center/", views.message_center, name="message_center"),
]
