"""Template tags of the take-home pages: how long personal data is kept (the privacy notice)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def retention_days() -> int:
    return settings.RETENTION_DAYS
