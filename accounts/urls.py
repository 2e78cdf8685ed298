from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.security import views as security
from accounts.shell import views
from accounts.views import support, users

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Sign-in security (accounts/security/): the second factor, re-authentication, the
    # Sign-in and security page, password change and reset.
    path("accounts/mfa/verify/", security.second_factor, name="second_factor"),
    path("accounts/mfa/set-up/", security.second_factor_enrol, name="second_factor_enrol"),
    path("accounts/mfa/recovery-codes/", security.recovery_codes, name="recovery_codes"),
    path("accounts/reauthenticate/", security.reauthenticate, name="reauthenticate"),
    path("accounts/security/", security.security, name="security"),
    path("accounts/security/password/", security.password_change, name="password_change"),
    path("accounts/security/mfa/reset/", security.second_factor_reset,
         name="second_factor_reset"),
    path("accounts/security/mfa/recovery-codes/", security.recovery_codes_renew,
         name="recovery_codes_renew"),
    path("accounts/security/organization/", security.mfa_requirement, name="mfa_requirement"),
    path("accounts/password-reset/", security.PasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/password-reset/sent/", security.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", security.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", security.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
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
