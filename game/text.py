"""Free text from people, made safe to store and to show: one function for all of it.

Pure (no Django). Every text the rules accept (names, ideas, reflections, the
host's message) and the join API go through ``clean_text``, so the same text
is taken or refused the same way on SQLite and PostgreSQL:

- refused: what cannot be stored or typed — a NUL (PostgreSQL's text and jsonb
  have no place for it), a lone surrogate (no UTF-8 encoding exists: SQLite and
  PostgreSQL both fail on it) and the other control characters; also a value
  that is not a string, or longer than ``max_length`` after cleaning;
- removed: the bidirectional overrides and isolates (U+202A-U+202E,
  U+2066-U+2069), which make a name display as another one, and
  non-characters (U+FFFE, U+FFFF);
- folded: white space (tabs, the various spaces) to one space; in multiline text
  line breaks are kept (CR LF and CR become LF, at most one blank line in a row);
- normalised to NFC (an "å" typed as a + ring is the same name as "å"), then trimmed.

The raw text is refused rather than cleaned where it would break storage, because
the actions layer also keeps the action as sent in the event log.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Before any work on it: a value this many times over the limit is refused unread.
SLACK = 4

_REMOVE = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF, 0xFFFE, 0xFFFF], None
)
_LINE_BREAKS = re.compile(r"\r\n?|[\u0085\u2028\u2029]")
_SPACES = re.compile(r"[^\S\n]+")  # white space other than a line break
_BLANK_LINES = re.compile(r"\n(?:[ ]*\n){2,}")
_WHITE_CONTROLS = {"\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x85"}


class BadText(ValueError):
    """Text refused; ``code`` says why: ``not_text``, ``control`` or ``too_long``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _is_refused_char(ch: str) -> bool:
    cp = ord(ch)
    if 0xD800 <= cp <= 0xDFFF:  # a lone surrogate (a pair arrives as one character)
        return True
    if ch in _WHITE_CONTROLS:
        return False
    return cp < 0x20 or 0x7F <= cp <= 0x9F


def clean_text(value: Any, *, max_length: int, multiline: bool = False) -> str:
    """The text as stored and shown; raises ``BadText`` if it cannot be.

    An empty result is returned as "" (whether empty is allowed is the caller's rule).
    """
    if not isinstance(value, str):
        raise BadText("not_text", "not a string")
    if len(value) > SLACK * max_length + 100:
        raise BadText("too_long", f"over {max_length} characters")
    if any(_is_refused_char(ch) for ch in value):
        raise BadText("control", "control character or lone surrogate")
    text = unicodedata.normalize("NFC", value.translate(_REMOVE))
    if multiline:
        text = _LINE_BREAKS.sub("\n", text)
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
        text = _BLANK_LINES.sub("\n\n", text).strip()
    else:
        text = " ".join(text.split())
    if len(text) > max_length:
        raise BadText("too_long", f"over {max_length} characters")
    return text
