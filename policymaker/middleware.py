"""Danish unless the person chose otherwise.

Django's LocaleMiddleware also follows the browser's Accept-Language, so a
Danish politician whose phone is set to English would get English pages while
the websockets (game.consumers) answer in Danish. Here the language is the
one the switch stored in the cookie (set_language), else LANGUAGE_CODE.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class CookieLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request) -> None:
        wanted = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = wanted if wanted in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class PermissionsPolicyMiddleware:
    """``Permissions-Policy``: every device feature in settings.PERMISSIONS_POLICY off.

    The game uses no camera, microphone, location or the like; turning them off
    means an injected script (or an embedded page) could not ask for them either.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.value = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.value)
        return response
