"""A case's texts and numbers as a flat list of labelled places, for the admin's form.

The case data is walked together with the schema's models, so that each text
or number gets one place: its path in the data, its name as CaseError writes
it (``rounds[1].tasks[0].prompt``), the section it belongs to and a label a
workshop leader can read ("Rounds › Kommissorium › fokus › Prompt").

Ids and references (a round's lead, a persona's stakeholder, learning-goal
tags ...) are left out: changing them is a change of structure, which belongs
in the YAML file. Optional texts a case leaves out (an option's consequence)
are offered empty, and written only when filled in.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel

from . import schema

Path = tuple[str | int, ...]
Kind = Literal["text", "long", "number"]

# (section, heading, top-level keys); a key not named here goes to "other".
SECTIONS: list[tuple[str, Any, tuple[str, ...]]] = [
    ("brief", _("Brief and mandate"), ("title", "setting", "brief", "mandate")),
    ("goals", _("Learning goals"), ("learning_goals",)),
    ("meters", _("Meters, budget and politician card"), ("meters", "budget", "politician_card")),
    ("rounds", _("Rounds"), ("rounds",)),
    ("roles", _("Roles"), ("roles",)),
    ("stakeholders", _("Stakeholders"), ("stakeholders",)),
    ("personas", _("Personas"), ("personas",)),
    ("framings", _("Problem framings"), ("framings",)),
    ("ideas", _("Ideas"), ("idea_cards", "catalysts")),
    ("dilemmas", _("Dilemmas"), ("dilemmas",)),
    ("events", _("Events"), ("events",)),
    ("couplings", _("Couplings"), ("couplings",)),
    ("outcomes", _("Outcomes"), ("outcomes",)),
    ("reflection", _("Reflection questions"), ("reflection",)),
]
OTHER_SECTION = ("other", _("Other"))
_SECTION_OF = {key: section for section, _heading, keys in SECTIONS for key in keys}

# Readable names of the schema's keys; a key not here is shown as "Free idea cost".
KEY_LABELS = {
    "title": _("Title"),
    "setting": _("Setting"),
    "brief": _("Brief"),
    "mandate": _("Mandate"),
    "learning_goals": _("Learning goals"),
    "meters": _("Meters"),
    "budget": _("Budget"),
    "politician_card": _("Politician card"),
    "rounds": _("Rounds"),
    "roles": _("Roles"),
    "stakeholders": _("Stakeholders"),
    "personas": _("Personas"),
    "framings": _("Problem framings"),
    "idea_cards": _("Idea cards"),
    "catalysts": _("Catalysts"),
    "dilemmas": _("Dilemmas"),
    "events": _("Events"),
    "couplings": _("Couplings"),
    "outcomes": _("Outcomes"),
    "reflection": _("Reflection questions"),
    "label": _("Label"),
    "text": _("Text"),
    "consequence": _("Consequence"),
    "effects": _("Effects"),
    "cost": _("Cost"),
    "name": _("Name"),
    "interests": _("Interests"),
    "stance": _("Stance"),
    "engagement": _("Engagement"),
    "voice": _("Voice"),
    "seated": _("Effects of a seat"),
    "absent": _("When absent"),
    "question": _("Question"),
    "description": _("Description"),
    "cards": _("Role cards"),
    "task": _("Task"),
    "tips": _("Tips"),
    "start": _("Start"),
    "total": _("Total"),
    "unit": _("Unit"),
    "free_idea_cost": _("Cost of a player's own idea"),
    "free_idea_effects": _("Effects of a player's own idea"),
    "prompt": _("Prompt"),
    "help": _("Help"),
    "min": _("Minimum"),
    "max": _("Maximum"),
    "apply_top": _("Effects apply to the top"),
    "draw": _("Cards drawn"),
    "max_ideas": _("Ideas per player"),
    "dots": _("Dots per player"),
    "keep": _("Ideas kept"),
    "per_idea": _("Effects per idea"),
    "intro": _("Introduction"),
    "minutes": _("Minutes"),
    "headline": _("Headline"),
    "when": _("Conditions"),
    "options": _("Options"),
    "tasks": _("Tasks"),
}

# Texts that are ids or point at other parts of the case: structure, not wording.
REFERENCE_KEYS = frozenset({"id", "slug", "language", "stakeholder"})
# The only lists of texts that are wording (others hold ids: lg, unlocked_by, unlocks).
TEXT_LISTS = frozenset({"tips"})
# Texts that are paragraphs rather than a line, whatever their length.
LONG_KEYS = frozenset(
    {
        "brief",
        "mandate",
        "text",
        "description",
        "interests",
        "voice",
        "intro",
        "consequence",
        "help",
        "question",
        "task",
        "tips",
        "prompt",
    }
)
LONG_TEXT = 80  # characters: a longer text gets a text area whatever its key
NAME_KEYS = ("title", "name", "label", "id")  # what names an item in a label, in order
NAME_LENGTH = 40  # characters of an item's name kept in a label


@dataclass(frozen=True)
class Place:
    path: Path  # where the value sits in the data
    name: str  # the path as CaseError writes it: rounds[1].tasks[0].prompt
    section: str
    label: str
    kind: Kind
    value: str | int | float
    present: bool = True  # False: an optional text the data leaves out (value "")
    group: str = ""  # the item it belongs to, as a heading: "Rounds › Kommissorium"


def place_name(path: Path) -> str:
    """``("rounds", 1, "title")`` -> ``rounds[1].title``, as CaseError names places."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def sections() -> list[tuple[str, Any]]:
    return [(section, heading) for section, heading, _keys in SECTIONS] + [OTHER_SECTION]


def places(data: dict) -> list[Place]:
    """Every editable text and number in the case data, in the data's order."""
    ctx = _Names(data)
    found = list(_walk_model(data, schema.Case, (), (), ctx, top=True))
    order = {section: i for i, (section, _h) in enumerate(sections())}
    return sorted(found, key=lambda p: order[p.section])  # stable: data order within a section


def apply(data: dict, found: list[Place], values: dict[str, Any]) -> dict:
    """A deep copy of ``data`` with the places set to ``values`` (by place name).

    A place whose value is unchanged is left alone, and an absent optional text
    left empty is not added, so that an untouched form gives the same data back.
    """
    out = copy.deepcopy(data)
    for place in found:
        if place.name not in values:
            continue
        value = values[place.name]
        if value == place.value:
            continue
        if not place.present and value == "":
            continue
        parent: Any = out
        for part in place.path[:-1]:
            parent = parent[part]
        parent[place.path[-1]] = value
    return out


class _Names:
    """How ids read in labels: meters by label, stakeholders by name, rounds by title."""

    def __init__(self, data: dict):
        def names(key: str, attr: str) -> dict[str, str]:
            items = data.get(key) or []
            return {
                i["id"]: str(i.get(attr) or i["id"])
                for i in items
                if isinstance(i, dict) and isinstance(i.get("id"), str)
            }

        self.meters = names("meters", "label")
        self.stakeholders = names("stakeholders", "name")
        self.rounds = names("rounds", "title")


def _key_label(key: str) -> str:
    label = KEY_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


def _short(name: str) -> str:
    name = " ".join(name.split())
    return name if len(name) <= NAME_LENGTH else name[: NAME_LENGTH - 1] + "…"


def _item_name(item: Any, index: int, ctx: _Names) -> str:
    if isinstance(item, dict):
        for key in NAME_KEYS:
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                return _short(value)
        if isinstance(item.get("meter"), str):  # a condition: named by its meter
            return _short(ctx.meters.get(item["meter"]) or item["meter"])
    return f"#{index + 1}"


def _named(items: list) -> bool:
    return any(isinstance(i, dict) and any(i.get(k) for k in NAME_KEYS) for i in items)


def _kind_of(annotation: Any) -> tuple[str, Any]:
    """What a model field holds: ("text"|"number"|"model"|"models"|"model_map"|"texts"|"", arg)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        # Optional numbers (a condition's min/max) are tuning; optional texts are references.
        return ("number", None) if args == [int] else ("", None)
    if origin is Literal or annotation is bool:
        return "", None
    if annotation is int or annotation is float:
        return "number", None
    if annotation is str:
        return "text", None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    if origin is list:
        (arg,) = typing.get_args(annotation)
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return "models", arg
        if arg is str:
            return "texts", None
    if origin is dict:
        _key, value = typing.get_args(annotation)
        if isinstance(value, type) and issubclass(value, BaseModel):
            return "model_map", value
    return "", None


def _leaf(path: Path, labels: tuple[str, ...], value: Any, *, key: str, present: bool = True):
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        kind: Kind = "number"
    elif isinstance(value, str):
        long = key in LONG_KEYS or len(value) > LONG_TEXT or "\n" in value
        kind = "long" if long else "text"
    else:
        return None
    top = path[0]
    section = _SECTION_OF.get(top, OTHER_SECTION[0]) if isinstance(top, str) else OTHER_SECTION[0]
    if len(path) == 1:
        group = heading(section)  # the brief, the mandate ...: the section is the group
    elif isinstance(path[1], int):
        group = " › ".join(labels[:2])  # one round, one stakeholder ...
    else:
        group = labels[0]  # the budget, the politician card
    return Place(path, place_name(path), section, " › ".join(labels), kind, value, present, group)


def _walk_model(
    node: Any,
    model: type[BaseModel],
    path: Path,
    labels: tuple[str, ...],
    ctx: _Names,
    *,
    top=False,
) -> Iterator[Place]:
    if not isinstance(node, dict):
        return
    fields = model.model_fields
    for key, info in fields.items():
        if key in REFERENCE_KEYS:
            continue
        kind, arg = _kind_of(info.annotation)
        here = (*path, key)
        label = (*labels, _key_label(key))
        if key not in node:
            # An optional text the case leaves out: offered empty, written if filled in.
            if kind == "text" and info.default == "":
                place = _leaf(here, label, "", key=key, present=False)
                if place:
                    yield place
            continue
        value = node[key]
        if kind in ("text", "number"):
            place = _leaf(here, label, value, key=key)
            if place:
                yield place
        elif kind == "texts" and key in TEXT_LISTS and isinstance(value, list):
            for i, text in enumerate(value):
                place = _leaf((*here, i), (*label, str(i + 1)), text, key=key)
                if place:
                    yield place
        elif kind == "model":
            yield from _walk_model(value, arg, here, label, ctx)
        elif kind == "models" and isinstance(value, list):
            # Top-level lists and unnamed items keep the list's name in the label;
            # inside a named item ("Kommissorium › fokus") the item names say enough.
            keep = top or not _named(value)
            for i, item in enumerate(value):
                item_labels = (*(label if keep else labels), _item_name(item, i, ctx))
                yield from _walk_model(item, arg, (*here, i), item_labels, ctx)
        elif kind == "model_map" and isinstance(value, dict):
            names = ctx.stakeholders if key == "stakeholders" else ctx.rounds
            for map_key, item in value.items():
                item_label = (*label, _short(names.get(map_key, str(map_key))))
                yield from _walk_model(item, arg, (*here, map_key), item_label, ctx)
    if model.model_config.get("extra") == "allow":
        # Effects: the extra keys are the case's meter ids, each a delta.
        for key, value in node.items():
            if key not in fields and isinstance(key, str):
                meter = _short(ctx.meters.get(key, key))
                place = _leaf((*path, key), (*labels, meter), value, key=key)
                if place:
                    yield place


def heading(section: str) -> str:
    for name, title in sections():
        if name == section:
            return str(title)
    return _gettext("Other")
