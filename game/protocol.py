"""The messages a client may send: a closed set, each with a schema.

``parse(role, text)`` turns one websocket frame into an action for the rules,
or raises ``BadMessage`` with a code and a reason. Anything not listed here is
refused. docs/protocol.md describes the same set for client authors.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from .rules import _

MAX_FRAME = 16 * 1024  # the largest frame a real client sends is an answer of 2,000 characters
# A real frame nests three deep; "[[[[…" that fits in a frame would make
# json.loads recurse thousands of levels. Only brackets outside strings count:
# an idea of 250 "[" is text, not nesting.
MAX_DEPTH = 20
# A string (to its end, or to the end of the text when unterminated) or a
# bracket: each character is read once, whatever the text.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


def _depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets in strings left out)."""
    depth = deepest = 0
    for token in _TOKEN.findall(text):
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def _loads(text: str) -> Any:
    """JSON from a frame that is small and flat enough to read; ValueError otherwise."""
    if len(text) > MAX_FRAME or _depth(text) > MAX_DEPTH:
        raise ValueError("too large or too deeply nested")
    return json.loads(text)


# Lone surrogates ("\ud800" in JSON) cannot be encoded as UTF-8 and so can be
# neither stored on PostgreSQL nor sent back; NUL and the other control
# characters break storage or display. Identifiers never contain any of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Free text as it may be stored and shown: no lone surrogates, NUL or controls.

    Newlines and tabs stay (answers have paragraphs); the rest is dropped.
    """
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _printable(value: str) -> str:
    if not value.isprintable() or _CONTROL.search(value):
        raise ValueError("not printable")
    return value


def short_ref(value: Any) -> str | int | None:
    """A ``ref`` that may be echoed: a short printable string or an integer, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(2**53) < value < 2**53 else None  # exact in JavaScript
    if isinstance(value, str) and len(value) <= 40:
        try:
            return _printable(value)
        except ValueError:
            return None
    return None


Printable = AfterValidator(_printable)
Key = Annotated[str, StringConstraints(max_length=100), Printable]
RefText = Annotated[str, StringConstraints(max_length=40), Printable]
RefInt = Annotated[StrictInt, Field(gt=-(2**53), lt=2**53)]
Ref = RefText | RefInt | None
# The client's own id of an action: a resend with the same id is applied once.
OpId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
Choice = Annotated[str, StringConstraints(max_length=100), Printable]
Value = (
    Choice
    | Annotated[list[Choice], Field(max_length=60)]
    | Annotated[dict[Choice, StrictInt], Field(max_length=60)]
)


def _clean_any(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


# Free text is Annotated[str, Clean, StringConstraints(max_length=N)]: cleaned (before
# pydantic, which refuses a lone surrogate), then sized.
Clean = BeforeValidator(_clean_any)


class Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ref: Ref = None  # echoed in the answer, so a client can match it to its request
    if TYPE_CHECKING:  # every kind has one, a Literal (not a field of its own here)
        type: str


class Action(Msg):
    """A message that changes the session: it may carry the client's ``op_id``."""

    op_id: OpId | None = None


class Sync(Msg):
    type: Literal["sync"]


class Ping(Msg):
    type: Literal["ping"]


class Vote(Action):
    type: Literal["vote"]
    key: Key
    value: Value


class Lock(Action):
    type: Literal["lock"]
    key: Key
    value: Value | None = None


class Idea(Action):
    type: Literal["idea"]
    text: Annotated[str, Clean, StringConstraints(max_length=1000)]


class Reflect(Action):
    type: Literal["reflect"]
    question: Key
    text: Annotated[str, Clean, StringConstraints(max_length=4000)]


class Form(Action):
    type: Literal["form"]
    size: StrictInt | None = None


class Move(Action):
    type: Literal["move"]
    player: Key
    committee: Key


class Remove(Action):
    type: Literal["remove"]
    player: Key


class Readmit(Action):
    type: Literal["readmit"]
    player: Key


class Start(Action):
    type: Literal["start"]


class Advance(Action):
    type: Literal["advance"]
    from_round: StrictInt | None = None  # the round the host saw: a repeat of it is "stale"


class Back(Action):
    type: Literal["back"]
    from_round: StrictInt | None = None


class Timer(Action):
    type: Literal["timer"]
    op: Literal["start", "pause", "resume", "add"]
    seconds: StrictInt = 60


class LockAll(Action):
    type: Literal["lock_all"]


class Inject(Action):
    type: Literal["inject"]
    card: Key
    committee: Key | None = None


class Message(Action):
    type: Literal["message"]
    text: Annotated[str, Clean, StringConstraints(max_length=2000)]
    keep: bool = False  # stays when the host advances (else a message belongs to its round)


class Rename(Action):
    type: Literal["rename"]
    player: Key
    name: Annotated[str, Clean, StringConstraints(max_length=200)]
    hide: bool = False  # an offensive name hidden behind a neutral one


class End(Action):
    type: Literal["end"]


class Lobby(Action):
    """Lock the lobby (new seats wait for the host's approval) or open it."""

    type: Literal["lobby"]
    locked: StrictBool


class Admit(Action):
    type: Literal["admit"]
    player: Key


class TurnAway(Action):
    type: Literal["turn_away"]
    player: Key


COMMON: tuple[type[Msg], ...] = (Sync, Ping)
PLAYER: tuple[type[Msg], ...] = (Vote, Lock, Idea, Reflect)
HOST: tuple[type[Msg], ...] = (
    Form, Move, Remove, Readmit, Start, Advance, Back, Timer, LockAll, Inject, Message, End, Rename
)  # fmt: skip
HOST += (Lobby, Admit, TurnAway)  # the locked lobby (issue 10)
PROJECTOR: tuple[type[Msg], ...] = ()


def _adapter(kinds: tuple) -> TypeAdapter:
    union = Union[kinds]  # type: ignore[valid-type]  # noqa: UP007 - made at run time
    return TypeAdapter(Annotated[union, Field(discriminator="type")])


_ADAPTERS = {
    "player": _adapter(COMMON + PLAYER),
    "host": _adapter(COMMON + HOST),
    "projector": _adapter(COMMON + PROJECTOR),
}
KINDS = {
    role: {get_args(m.model_fields["type"].annotation)[0] for m in COMMON + extra}
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
    return short_ref(data.get("ref")) if isinstance(data, dict) else None


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
    ref = short_ref(data.get("ref"))
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in KINDS[role]:
        raise BadMessage("unknown_type", _("Unknown message type."), ref)
    try:
        return _ADAPTERS[role].validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        # The top-level field only: deeper parts of the path repeat the sender's
        # own keys, which may be anything (even unencodable).
        field = short_ref(str(err["loc"][1])) if len(err["loc"]) > 1 else None
        field = field if isinstance(field, str) and len(field) <= 20 else "message"
        raise BadMessage(
            "bad_message", _("Malformed field: %(field)s."), ref, field=field
        ) from None


def dumps(data: Any) -> str:
    """A frame for the client (or a part of the state as stored): compact, æøå as they are.

    orjson writes it, seven times as fast as the json module (a round change at
    1,000 players is 4 MB of frames). What orjson refuses is written by the json
    module instead, so no frame ever fails to go out: a key that is not a string,
    an integer over 64 bits, and text that is not valid UTF-8 (a lone surrogate
    that got into a state), which is then sent escaped.
    """
    try:
        return orjson.dumps(data).decode()
    except (TypeError, orjson.JSONEncodeError):
        pass
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, separators=(",", ":"))
    return text


def to_action(msg: Msg) -> dict[str, Any]:
    """The rules' action for a parsed message (sync and ping have none)."""
    data = msg.model_dump(exclude={"ref", "op_id"})
    data["kind"] = data.pop("type")
    return data
