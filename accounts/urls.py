from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.shell import views
from accounts.views import support as views_support
from accounts.views import users as views_users

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Users > Active users
    path("users/active/", views_users.active_users, name="active_users"),
    path("users/active/add/", views_users.user_add, name="user_add"),
    path("users/active/import/", views_users.users_import_view, name="users_import"),
    path(
        "users/active/import/sample.csv",
        views_users.users_import_sample,
        name="users_import_sample",
    ),
    path("users/active/licenses/", views_users.users_bulk_licenses, name="users_bulk_licenses"),
    path("users/active/<int:pk>/", views_users.user_detail, name="user_detail"),
    path("users/active/<int:pk>/licenses/", views_users.user_licenses, name="user_licenses"),
    path(
        "users/active/<int:pk>/usage-location/",
        views_users.user_usage_location,
        name="user_usage_location",
    ),
    # Support > Service requests
    path("support/requests/", views_support.service_requests, name="service_requests"),
    path(
        "support/requests/<int:pk>/",
        views_support.service_request_detail,
        name="service_request_detail",
    ),
]
