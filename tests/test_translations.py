"""Both catalogues are complete: no string of the interface is left untranslated."""

import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
ENTRY = re.compile(r'^msgid "(.+)"\n(?:msgid_plural ".*"\n)?msgstr(?:\[0\])? "(.*)"$', re.M)


def test_there_are_danish_and_english_catalogues_for_the_pages_and_the_scripts():
    names = {f"{p.parts[-3]}/{p.name}" for p in CATALOGUES}
    assert names == {"da/django.po", "da/djangojs.po", "en/django.po", "en/djangojs.po"}


@pytest.mark.parametrize("po", CATALOGUES, ids=[f"{p.parts[-3]}/{p.name}" for p in CATALOGUES])
def test_every_string_is_translated(po):
    text = po.read_text(encoding="utf-8")
    entries = ENTRY.findall(text)
    assert len(entries) > 20
    missing = [msgid for msgid, msgstr in entries if not msgstr]
    assert not missing, missing[:10]
    assert "#, fuzzy" not in text  # a guess by makemessages, not a translation
