"""A case in more than one language.

A case file is written in one language (its ``language``, Danish for the school
case). A translation is a file beside it, ``<name>.<language>.yaml`` (so
``skole.en.yaml``): the whole case again, with every text translated and every
thing else — ids, effects, conditions, the order of every list — exactly as in
the case. `load_case` checks that, and stores the translations with the version
(``data["translations"][language]``), so a session keeps the texts it started with.

The game runs on the case's own texts; what a viewer is sent is translated at
the edge (the consumers, the pages) through a table from each text of the case
to its translation, made once per version. So the rules, the views and the
state never depend on the language, and a text the table does not know (a
player's own idea) is sent as it is.

No Django here.
"""

from __future__ import annotations

from typing import Any

# The fields that hold text a person reads; everything else is data that a
# translation must leave alone.
TEXT_KEYS = frozenset(
    {
        "brief",
        "consequence",
        "description",
        "headline",
        "help",
        "interests",
        "intro",
        "label",
        "mandate",
        "name",
        "prompt",
        "question",
        "setting",
        "task",
        "text",
        "tips",
        "title",
        "unit",
        "voice",
    }
)
TRANSLATIONS = "translations"  # the key of the stored version's data that holds them


def split(data: dict) -> tuple[dict, dict[str, dict]]:
    """A stored version's data: the case itself, and its translations by language."""
    base = {k: v for k, v in data.items() if k != TRANSLATIONS}
    return base, dict(data.get(TRANSLATIONS) or {})


def mirror_errors(base: Any, other: Any, place: str = "") -> list[str]:
    """Where ``other`` is not ``base`` with its texts translated; [] when it is."""
    here = place or "the top level"
    if isinstance(base, dict):
        if not isinstance(other, dict):
            return [f"{here}: expected a mapping as in the case"]
        errors = []
        for key in base.keys() | other.keys():
            sub = f"{place}.{key}" if place else key
            if key == "language":
                continue  # the one field that must differ
            if key not in other:
                errors.append(f"{sub}: missing (the case has it)")
            elif key not in base:
                errors.append(f"{sub}: not in the case")
            elif key in TEXT_KEYS:
                errors += _text_errors(base[key], other[key], sub)
            else:
                errors += mirror_errors(base[key], other[key], sub)
        return errors
    if isinstance(base, list):
        if not isinstance(other, list) or len(other) != len(base):
            return [f"{here}: expected a list of {len(base)} as in the case"]
        return [
            e
            for i, (b, o) in enumerate(zip(base, other, strict=True))
            for e in mirror_errors(b, o, f"{place}[{i}]")
        ]
    if base != other:
        return [f"{here}: {other!r} differs from the case's {base!r}; only texts are translated"]
    return []


def _text_errors(base: Any, other: Any, place: str) -> list[str]:
    if isinstance(base, str):
        ok = isinstance(other, str) and (other.strip() or not base.strip())
        return [] if ok else [f"{place}: expected the translated text"]
    if isinstance(base, list):  # tips: a list of texts
        if not isinstance(other, list) or len(other) != len(base):
            return [f"{place}: expected a list of {len(base)} texts as in the case"]
        return [
            e
            for i, (b, o) in enumerate(zip(base, other, strict=True))
            for e in _text_errors(b, o, f"{place}[{i}]")
        ]
    # A text key holding structure (a stakeholder's "absent" is {text, effects}): walk on.
    return mirror_errors(base, other, place)


def pairs(base: Any, other: Any):
    """(text, its translation) for every text of the case that the translation changes."""
    if isinstance(base, dict) and isinstance(other, dict):
        for key, value in base.items():
            if key in other and key != "language":
                yield from pairs(value, other[key])
    elif isinstance(base, list) and isinstance(other, list):
        for b, o in zip(base, other, strict=False):
            yield from pairs(b, o)
    elif isinstance(base, str) and isinstance(other, str) and base != other:
        yield base, other


def table(base: Any, other: Any) -> dict[str, str]:
    """Every text of the case mapped to its translation (the first, see ``conflicts``)."""
    out: dict[str, str] = {}
    for text, translated in pairs(base, other):
        out.setdefault(text, translated)
    return out


def conflicts(base: Any, other: Any) -> list[str]:
    """Texts of the case translated in two different ways: the table can keep only one."""
    seen: dict[str, set[str]] = {}
    for text, translated in pairs(base, other):
        seen.setdefault(text, set()).add(translated)
    return sorted(text for text, ways in seen.items() if len(ways) > 1)


def translate(value: Any, texts: dict[str, str]) -> Any:
    """``value`` with every string that is a text of the case translated; keys are left alone."""
    if not texts:
        return value
    if isinstance(value, str):
        return _text(value, texts)
    if isinstance(value, dict):
        return {k: translate(v, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [translate(v, texts) for v in value]
    return value


def _text(value: str, texts: dict[str, str]) -> str:
    """One string: a text of the case, or a line the rules made of them ("who: what")."""
    hit = texts.get(value)
    if hit is not None:
        return hit
    head, sep, tail = value.partition(": ")
    if sep and (head in texts or tail in texts):  # the consequence log's "stakeholder: text"
        return f"{texts.get(head, head)}: {_text(tail, texts)}"
    return value
