from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from accounts.views.language import language_set
from config.health import healthz

admin.site.site_header = _("Communications Credits backoffice")
admin.site.site_title = _("Communications Credits backoffice")
admin.site.index_title = _("Tenants, directory, subscriptions and credits")

handler404 = "accounts.shell.views.page_not_found"
handler500 = "accounts.shell.views.server_error"

# What every page's base.html links to, also included by the tests' own URLconfs.
language_urlpatterns = [
    # The header's language menu: the cookie, and the signed-in admin's own language.
    path("i18n/setlang/", language_set, name="set_language"),
    # The strings of static/console/*.js, in the visitor's language (djangojs catalogs).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]

urlpatterns = [
    # For load balancers and monitors: no sign-in (docs/operations.md).
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    *language_urlpatterns,
    path("", include("accounts.urls")),
    path("", include("credits.urls")),
]
