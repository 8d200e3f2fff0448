"""Root URLs.

No i18n_patterns: the addresses players type and scan (the join page, /host/)
stay the same in every language; the language comes from the cookie that
set_language writes, or the browser, through LocaleMiddleware.
"""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language for the switch
    path("", include("game.urls")),
]
