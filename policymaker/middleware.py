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
