"""The messages a client may send: a closed set, each with a schema.

``parse(role, text)`` turns one websocket frame into an action for the rules,
or raises ``BadMessage`` with a code and a reason. Anything not listed here is
refused. docs/protocol.md describes the same set for client authors.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from .rules import _

MAX_FRAME = 16 * 1024  # the largest frame a real client sends is an answer of 2,000 characters
# A real frame nests three deep and has a handful of brackets; "[[[[…" that fits
# in a frame would make json.loads recurse thousands of levels. Refused unread.
MAX_BRACKETS = 200


def _loads(text: str) -> Any:
    """JSON from a frame that is small and flat enough to read; ValueError otherwise."""
    if len(text) > MAX_FRAME or text.count("[") + text.count("{") > MAX_BRACKETS:
        raise ValueError("too large or too deeply nested")
    return json.loads(text)


Key = Annotated[str, StringConstraints(max_length=100)]
Ref = Annotated[str, StringConstraints(max_length=40)] | int | None
Choice = Annotated[str, StringConstraints(max_length=100)]
Value = (
    Choice
    | Annotated[list[Choice], Field(max_length=60)]
    | Annotated[dict[Choice, int], Field(max_length=60)]
)


class Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ref: Ref = None  # echoed in the answer, so a client can match it to its request


class Sync(Msg):
    type: Literal["sync"]


class Ping(Msg):
    type: Literal["ping"]


class Vote(Msg):
    type: Literal["vote"]
    key: Key
    value: Value


class Lock(Msg):
    type: Literal["lock"]
    key: Key
    value: Value | None = None


class Idea(Msg):
    type: Literal["idea"]
    text: Annotated[str, StringConstraints(max_length=1000)]


class Reflect(Msg):
    type: Literal["reflect"]
    question: Key
    text: Annotated[str, StringConstraints(max_length=4000)]


class Form(Msg):
    type: Literal["form"]
    size: int | None = None


class Move(Msg):
    type: Literal["move"]
    player: Key
    committee: Key


class Remove(Msg):
    type: Literal["remove"]
    player: Key


class Readmit(Msg):
    type: Literal["readmit"]
    player: Key


class Start(Msg):
    type: Literal["start"]


class Advance(Msg):
    type: Literal["advance"]


class Back(Msg):
    type: Literal["back"]


class Timer(Msg):
    type: Literal["timer"]
    op: Literal["start", "pause", "resume", "add"]
    seconds: int = 60


class LockAll(Msg):
    type: Literal["lock_all"]


class Inject(Msg):
    type: Literal["inject"]
    card: Key
    committee: Key | None = None


class Message(Msg):
    type: Literal["message"]
    text: Annotated[str, StringConstraints(max_length=2000)]


class End(Msg):
    type: Literal["end"]


COMMON = (Sync, Ping)
PLAYER = (Vote, Lock, Idea, Reflect)
HOST = (Form, Move, Remove, Readmit, Start, Advance, Back, Timer, LockAll, Inject, Message, End)
PROJECTOR = ()


def _adapter(kinds: tuple) -> TypeAdapter:
    return TypeAdapter(Annotated[Union[kinds], Field(discriminator="type")])  # noqa: UP007


_ADAPTERS = {
    "player": _adapter(COMMON + PLAYER),
    "host": _adapter(COMMON + HOST),
    "projector": _adapter(COMMON + PROJECTOR),
}
KINDS = {
    role: {m.model_fields["type"].annotation.__args__[0] for m in COMMON + extra}
    for role, extra in (("player", PLAYER), ("host", HOST), ("projector", PROJECTOR))
}


class BadMessage(Exception):
    def __init__(self, code: str, reason: str, ref: Any = None, **params: Any) -> None:
        super().__init__(reason)
        self.code, self.reason, self.ref, self.params = code, reason, ref, params


def peek_ref(text: str | None) -> Any:
    """The ``ref`` of a frame that is refused before it is parsed (e.g. rate limited)."""
    if text is None:
        return None
    try:
        data = _loads(text)
    except ValueError:
        return None
    ref = data.get("ref") if isinstance(data, dict) else None
    return ref if isinstance(ref, (str, int)) else None


def parse(role: str, text: str | None) -> Msg:
    """One frame to one message of the closed set for this kind of viewer."""
    if text is None:
        raise BadMessage("bad_json", _("Send text frames with JSON."))
    if len(text) > MAX_FRAME:
        raise BadMessage("too_large", _("The message is too large."))
    try:
        data = _loads(text)
    except ValueError:
        raise BadMessage("bad_json", _("The message is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise BadMessage("bad_json", _("The message must be a JSON object."))
    ref = data.get("ref") if isinstance(data.get("ref"), (str, int)) else None
    if data.get("type") not in KINDS[role]:
        raise BadMessage("unknown_type", _("Unknown message type."), ref)
    try:
        return _ADAPTERS[role].validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"][1:]) or "message"
        raise BadMessage(
            "bad_message", _("Malformed field: %(field)s."), ref, field=field
        ) from None


def dumps(data: dict) -> str:
    """A frame for the client: compact, and æøå as they are."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def to_action(msg: Msg) -> dict[str, Any]:
    """The rules' action for a parsed message (sync and ping have none)."""
    data = msg.model_dump(exclude={"ref"})
    data["kind"] = data.pop("type")
    return data
