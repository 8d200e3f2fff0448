"""Root URLs.

No i18n_patterns: the addresses players type and scan (the join page, /host/)
stay the same in every language; the language comes from the cookie that
set_language writes, else Danish (policymaker.middleware).
"""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language for the switch
    # The live pages' strings (gettext in static/js), from locale/*/djangojs.po.
    # Varies on the language cookie (set_language), so a short cache only.
    path("jsi18n/", cache_page(60)(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("", include("game.urls")),
]
