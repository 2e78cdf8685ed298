from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.shell import views
from accounts.views import support, users

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Users > Active users
    path("users/active/", users.active_users, name="active_users"),
    path("users/active/add/", users.user_add, name="user_add"),
    path("users/active/import/", users.users_import_view, name="users_import"),
    path(
        "users/active/import/sample.csv",
        users.users_import_sample,
        name="users_import_sample",
    ),
    path("users/active/licenses/", users.users_bulk_licenses, name="users_bulk_licenses"),
    path("users/active/<int:pk>/", users.user_detail, name="user_detail"),
    path("users/active/<int:pk>/licenses/", users.user_licenses, name="user_licenses"),
    path(
        "users/active/<int:pk>/usage-location/",
        users.user_usage_location,
        name="user_usage_location",
    ),
    # Support > Service requests
    path("support/requests/", support.service_requests, name="service_requests"),
    path(
        "support/requests/<int:pk>/",
        support.service_request_detail,
        name="service_request_detail",
    ),
]
