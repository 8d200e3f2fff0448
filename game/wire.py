"""The wire: the channel-layer groups, the streams of frames and their versions.

A viewer is sent a frame only for a change it can see. Each frame names the
version it brings (``v``) and the newest version of a frame sent to that viewer
before it (``prev``); a client whose own version is older than ``prev`` missed a
frame and asks for a snapshot (docs/protocol.md). The frames of one change go
out per stream, one message per channel-layer group:

- each committee's seats (group ``session.<id>.c.<cid>``): the part every member
  sees alike, once, and a member's own part only for the members it changed;
- the seats in no committee (``session.<id>.lobby``), the same way;
- a seat that changed stream (formed into a committee, moved, removed) is sent
  its frame in the group of its own seat (``session.<id>.seat.<pid>``), which
  also tells its consumers to change group;
- the host (``session.<id>.host``) and the projector (``session.<id>.projector``).

``Session.streams`` keeps, per stream, the version its last frame was sent at
(``s``), the seats sent a frame of their own since their stream's last one
(``me``: pid -> [version, stream]), the host's and the projector's, and ``floor``: a version every stream
is at least at (a change whose frames could not be made tells everyone to fetch
a snapshot instead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import protocol

if TYPE_CHECKING:
    from .visibility import Frames

HOST, PROJECTOR = "host", "projector"

# Daphne's (autobahn's) limit on one websocket message, in and out. Its default of
# 1 MiB is less than the host's snapshot of a session of 65 committees or more (about
# 16 KB a committee: 6.3 MB at 400), which then never reaches the dashboard. Coming
# in, the consumers refuse anything over 16 KiB (game.protocol) whatever this says.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def session_group(session_id: int) -> str:
    """Every connection of a session: snapshots for all, seats moved to another device."""
    return f"session.{session_id}"


def stream_group(session_id: int, stream: str) -> str:
    """A committee's seats (the stream is the committee's id), the lobby, the host or the projector."""
    name = stream if stream in (HOST, PROJECTOR, "lobby") else f"c.{stream}"
    return f"session.{session_id}.{name}"


def seat_group(session_id: int, pid: str) -> str:
    return f"session.{session_id}.seat.{pid}"


def seen(streams: dict, viewer: str, pid: str | None = None, stream: str | None = None) -> int:
    """The version of the newest frame sent to this viewer (0: none since the snapshot's)."""
    floor = streams.get("floor", 0)
    if viewer in (HOST, PROJECTOR):
        return max(floor, streams.get(viewer, 0))
    own = streams.get("me", {}).get(pid, (0,))[0] if pid else 0
    return max(floor, streams.get("s", {}).get(stream, 0) if stream else 0, own)


def messages(
    session_id: int, version: int, frames: Frames, streams: dict
) -> tuple[list[tuple[str, dict]], dict]:
    """The channel-layer messages of one change, and the streams' versions after it."""
    floor = streams.get("floor", 0)
    s: dict[str, int] = dict(streams.get("s", {}))
    me: dict[str, list] = dict(streams.get("me", {}))  # pid -> [version, stream]
    out: list[tuple[str, dict]] = []

    def prev(stream: str, pid: str) -> int:
        return max(floor, s.get(stream, 0), me.get(pid, (0,))[0])

    new_me: dict[str, list] = {}
    for pid, (was, now, patches) in frames.moved.items():
        out.append(
            (
                seat_group(session_id, pid),
                _frame(
                    version, prev(was, pid), now, own={pid: [prev(was, pid), patches]}, move=now
                ),
            )
        )
        new_me[pid] = [version, now]  # a lost move shows in the seat's pong
    for stream, (shared, own, left) in frames.streams.items():
        if not shared and not own:
            continue  # only seats that left: they have their frame from their seat's group
        base = max(floor, s.get(stream, 0))
        own_frames = {pid: [prev(stream, pid), p] for pid, p in own.items()}
        if shared:
            # Seats sent a frame of their own since the stream's last: their prev is newer.
            prevs = {
                pid: v
                for pid, (v, where) in me.items()
                if where == stream and v > base and pid not in own and pid not in left
            }
            out.append(
                (
                    stream_group(session_id, stream),
                    _frame(
                        version, base, stream, shared=shared, own=own_frames, left=left, prevs=prevs
                    ),
                )
            )
            s[stream] = version
            for pid in [*prevs, *own]:
                if me.get(pid, (0, stream))[1] == stream:
                    me.pop(pid, None)
        else:  # only some seats' own parts changed: the stream's others get nothing
            out.append(
                (stream_group(session_id, stream), _frame(version, base, stream, own=own_frames))
            )
            new_me.update({pid: [version, stream] for pid in own})
    me.update(new_me)
    after = {"floor": floor, "s": s, "me": me}
    for viewer, patches in ((HOST, frames.host), (PROJECTOR, frames.projector)):
        after[viewer] = streams.get(viewer, 0)
        if patches:
            last = max(floor, streams.get(viewer, 0))
            out.append(
                (stream_group(session_id, viewer), _frame(version, last, viewer, shared=patches))
            )
            after[viewer] = version
    return out, after


def _frame(
    version: int,
    prev: int,
    stream: str,
    *,
    shared: list | None = None,
    own: dict[str, list] | None = None,
    left: list[str] | None = None,
    prevs: dict[str, int] | None = None,
    move: str | None = None,
) -> dict:
    """One channel-layer message; the patches are JSON text already, which the
    in-memory layer copies for free (it deep-copies a message for every consumer)."""
    message: dict = {"type": "game.frames", "v": version, "prev": prev, "stream": stream}
    if shared:
        message["shared"] = protocol.dumps(shared)
    if own:
        message["own"] = {pid: [p, protocol.dumps(patches)] for pid, (p, patches) in own.items()}
    if left:
        message["left"] = left
    if prevs:
        message["prevs"] = prevs
    if move:
        message["move"] = move
    return message


def patch_for(message: dict, pid: str | None) -> tuple[int, str] | None:
    """What one viewer of a ``game.frames`` message is sent: (prev, the patches as
    JSON text), the stream's shared patches first and then the seat's own; None:
    nothing for this viewer (it left the stream, or only other seats changed)."""
    shared = message.get("shared")
    if pid is None:
        return (message["prev"], shared) if shared else None
    if pid in message.get("left", ()):
        return None  # moved out: its own frame comes in its seat's group
    own = message.get("own", {}).get(pid)
    if own is None:
        return (message.get("prevs", {}).get(pid, message["prev"]), shared) if shared else None
    prev, mine = own  # both non-empty JSON arrays when both are there (_frame)
    return prev, f"{shared[:-1]},{mine[1:]}" if shared else mine


def event_text(version: int, prev: int, patch: str) -> str:
    """The frame a client gets (patch: the patches as JSON text)."""
    return f'{{"type":"event","v":{version},"prev":{prev},"patch":{patch}}}'
