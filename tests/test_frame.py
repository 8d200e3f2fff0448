"""The igangsætter's own move: setting the committee's frame, which the council tests.

Issue 8: each of the three roles has a move of its own that changes the outcome.
The facilitator invites a left-out stakeholder back, the katalysator plays a tool,
and the igangsætter sets the frame (when has the committee succeeded?). The
frame pays a little at once, and when the council decides it is tested: kept,
it strengthens political leadership; broken, the committee is measured by its
own words. Everything about it comes from the case (a ``frame`` task and its
options' ``test``), so another case can have one with no change to the rules.

The rules tests use the school case with eight players (committee 1: Bo, Dan,
Finn, Hal; the roles stay put); the consumer test seats Anna, Bent and Carla in
one committee of three, each with a leadership role.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from cases.schema import Case, load_case_file, parse_case
from game import actions, rules
from tests.support import Client, everyone_until, player_client
from tests.test_rules import act, holder, kommissorium, refuse, running, to_round, vote_all

ROOT = Path(__file__).resolve().parent.parent
FRAME = "ramme"


@pytest.fixture(scope="module")
def school() -> Case:
    return load_case_file(ROOT / "cases" / "skole.yaml")[0]


def frame_option(school: Case, option_id: str):
    found = school.find_task(FRAME)
    assert found is not None
    return next(o for o in found[1].options if o.id == option_id)


def at_kommissorium(school: Case) -> dict:
    return to_round(school, running(school, 8), "kommissorium")


def council(
    school: Case, frame: str | None, meters: dict[str, int] | None = None, *, stance: int = 60
) -> dict:
    """Committee 1 just before the council: a recommendation that answers its focus.

    The igangsætter sets ``frame`` in the first round (or none); the meters (80
    unless ``meters`` says otherwise) and the stances are then set by hand, so
    that only the frame and what is set decide.
    """
    state = kommissorium(
        school, at_kommissorium(school), "1", "laesning", ["elevraad", "laerer", "ppr"]
    )
    if frame is not None:
        ig = holder(state, "1", "igangsaetter")
        state, _ = act(school, state, "lock", player=ig, key=FRAME, value=frame)
    state = to_round(school, state, "ideudvikling")
    c = state["committees"]["1"]
    pick = next(str(i["id"]) for i in c["ideas"] if i["card"] == "laesevenner")
    state = vote_all(school, state, "1", "ideer", {pick: 3})
    state, _ = act(school, state, "lock", player=holder(state, "1", "katalysator"), key="ideer")
    state = to_round(school, state, "anbefaling")
    state = vote_all(school, state, "1", "anbefaling", [pick])
    state = vote_all(school, state, "1", "kobling", ["tidlig_dialog"])
    ig = holder(state, "1", "igangsaetter")
    for key in ("anbefaling", "kobling"):
        state, _ = act(school, state, "lock", player=ig, key=key)
    c = state["committees"]["1"]
    c["meters"] = {m.id: 80 for m in school.meters} | (meters or {})
    for s in c["stakeholders"].values():
        s["stance"] = stance
    return state


# --- setting the frame --------------------------------------------------------------------


def test_only_the_igangsaetter_sets_the_frame_and_nobody_votes_on_it(school):
    state = at_kommissorium(school)
    ig = holder(state, "1", "igangsaetter")
    fa = holder(state, "1", "facilitator")
    for p in rules.active_members(state, "1"):
        refused = refuse(
            school, state, "vote", "not_allowed", player=p, key=FRAME, value="bred_opbakning"
        )
        assert "Igangsætter" in str(refused)
    refused = refuse(school, state, "lock", "not_allowed", player=fa, key=FRAME, value="nyt_svar")
    assert "Igangsætter" in str(refused)
    refuse(school, state, "lock", "invalid", player=ig, key=FRAME)  # a frame is chosen
    refuse(school, state, "lock", "invalid", player=ig, key=FRAME, value="nope")
    refuse(school, state, "lock", "invalid", player=ig, key=FRAME, value=["bred_opbakning"])


def test_setting_the_frame_pays_its_effects_once_and_is_no_politician_card(school):
    state = at_kommissorium(school)
    ig = holder(state, "1", "igangsaetter")
    before = dict(state["committees"]["1"]["meters"])
    option = frame_option(school, "bred_opbakning")
    state, events = act(school, state, "lock", player=ig, key=FRAME, value="bred_opbakning")
    c = state["committees"]["1"]
    assert c["decisions"][FRAME]["locked"] == "bred_opbakning"
    assert c["decisions"][FRAME]["by"] == ig
    assert events[0]["politician_card"] is False and c["politician_cards"] == 0
    assert c["meters"] == {
        m: v + option.effects.meters.get(m, 0) for m, v in before.items()
    }  # the case's effects, nothing else
    assert c["log"][-1] == {"round": state["round"], "key": FRAME, "text": option.consequence}
    # Set once: a second frame is refused, and the other committee has its own.
    refuse(school, state, "lock", "locked", player=ig, key=FRAME, value="nyt_svar")
    assert state["committees"]["2"]["decisions"][FRAME]["locked"] is None


def test_the_frame_is_set_only_while_its_round_is_open(school):
    state = at_kommissorium(school)
    ig = holder(state, "1", "igangsaetter")
    later = to_round(school, state, "problemforstaaelse")
    refuse(school, later, "lock", "not_found", player=ig, key=FRAME, value="bred_opbakning")
    # An ended session takes no frame either.
    ended, _ = act(school, state, "end")
    refuse(school, ended, "lock", "closed", player=ig, key=FRAME, value="bred_opbakning")


def test_the_frame_is_optional_and_never_locked_for_the_igangsaetter(school):
    state = kommissorium(
        school, at_kommissorium(school), "1", "laesning", ["elevraad", "laerer", "ppr"]
    )
    assert rules.committee_done(school, state, state["committees"]["1"])
    state, _ = act(school, state, "lock_all")  # the host, or the timer running out
    assert state["committees"]["1"]["decisions"][FRAME]["locked"] is None


# --- the council tests it -------------------------------------------------------------------


def test_a_kept_frame_pays_when_the_council_decides_and_only_once(school):
    option = frame_option(school, "bred_opbakning")
    assert option.test is not None
    state = council(school, "bred_opbakning")
    state, events = act(school, state, "advance")
    c = state["committees"]["1"]
    assert {
        "kind": "frame",
        "committee": "1",
        "key": FRAME,
        "option": "bred_opbakning",
        "kept": True,
    } in events
    kept = option.test.kept.effects.meters
    assert c["meters"]["lederskab"] == 80 + kept["lederskab"]
    assert c["meters"]["foelgeskab"] == 80 + kept["foelgeskab"]
    assert c["frames"] == {FRAME: True}
    assert c["log"][-1]["text"] == option.test.kept.text
    assert c["council"]["meters"] == c["meters"]  # the council weighed the tested frame
    # Tested once: a step back and forward again does not pay it a second time.
    meters = dict(c["meters"])
    state, _ = act(school, state, "back")
    state, events = act(school, state, "advance")
    assert state["committees"]["1"]["meters"] == meters
    assert not [e for e in events if e["kind"] == "frame"]
    assert [e["text"] for e in state["committees"]["1"]["log"]].count(option.test.kept.text) == 1


def test_a_broken_frame_costs_and_the_log_says_so(school):
    option = frame_option(school, "bred_opbakning")
    assert option.test is not None
    state = council(school, "bred_opbakning", {"foelgeskab": 54})  # one short of the frame
    state, events = act(school, state, "advance")
    c = state["committees"]["1"]
    assert [e["kept"] for e in events if e["kind"] == "frame"] == [False]
    broken = option.test.broken.effects.meters
    assert c["meters"]["lederskab"] == 80 + broken["lederskab"]
    assert c["meters"]["ejerskab"] == 80 + broken["ejerskab"]
    assert c["meters"]["foelgeskab"] == 54
    assert c["frames"] == {FRAME: False}
    assert c["log"][-1]["text"] == option.test.broken.text


def test_without_a_frame_the_council_tests_nothing(school):
    state, events = act(school, council(school, None), "advance")
    c = state["committees"]["1"]
    assert not [e for e in events if e["kind"] == "frame"]
    assert "frames" not in c and c["meters"]["lederskab"] == 80


def test_the_frame_changes_the_councils_outcome(school):
    # Just short of political leadership: without a frame the council amends the plan.
    short = {"lederskab": 46}
    state, _ = act(school, council(school, None, short), "advance")
    assert state["committees"]["1"]["outcome"] == "vedtaget_med_aendringer"
    # The same committee with a frame it kept: adopted as it stands.
    state, _ = act(school, council(school, "bred_opbakning", short), "advance")
    assert state["committees"]["1"]["outcome"] == "vedtaget"
    # A frame the committee broke costs it the adoption it had without one.
    tight = {"lederskab": 52, "oekonomi": 45}  # enough to be adopted, not enough for the frame
    state, _ = act(school, council(school, None, tight), "advance")
    assert state["committees"]["1"]["outcome"] == "vedtaget"
    state, _ = act(school, council(school, "inden_for_puljen", tight), "advance")
    assert state["committees"]["1"]["frames"] == {FRAME: False}
    assert state["committees"]["1"]["outcome"] == "vedtaget_med_aendringer"


# --- a card tests it before the council -------------------------------------------------------

FRAME_CARD = "rammen_og_puljen"  # drawn only by a committee whose frame is inden_for_puljen


def with_frames(school: Case, frames: dict[str, str | None]) -> dict:
    """Both committees through the first round with the same focus and seats; each
    igangsætter sets the frame given for its committee (or none); then on to the
    dilemmas, where the cards are drawn."""
    state = at_kommissorium(school)
    for cid, frame in frames.items():
        state = kommissorium(school, state, cid, "laesning", ["elevraad", "laerer", "ppr"])
        if frame is not None:
            ig = holder(state, cid, "igangsaetter")
            state, _ = act(school, state, "lock", player=ig, key=FRAME, value=frame)
    return to_round(school, state, "dilemmaer")


def drawn(state: dict, cid: str) -> list[str]:
    c = state["committees"][cid]
    return [d["card"] for d in c["decisions"].values() if d["task"] == "dilemmaer"]


def test_the_frame_decides_which_committee_meets_the_frame_card(school):
    card = school.card(FRAME_CARD)
    assert card is not None and card in school.dilemmas
    assert [c.chosen for c in card.when] == [f"{FRAME}:inden_for_puljen"]
    state = with_frames(school, {"1": "inden_for_puljen", "2": "bred_opbakning"})
    assert FRAME_CARD in drawn(state, "1")
    assert FRAME_CARD not in drawn(state, "2")  # the same table, another frame
    assert len(drawn(state, "1")) == len(drawn(state, "2"))  # a card the other one does not meet
    # Without a frame, nobody meets it either.
    state = with_frames(school, {"1": None, "2": "nyt_svar"})
    assert FRAME_CARD not in drawn(state, "1") + drawn(state, "2")


def test_holding_to_the_frame_keeps_it_and_bending_it_breaks_it(school):
    """The card's choice is what the council then tests: the economy the frame promised."""
    state = with_frames(school, {"1": "inden_for_puljen"})
    key = f"dilemmaer:{FRAME_CARD}"
    fa = holder(state, "1", "facilitator")
    results = {}
    for choice in ("hold_rammen", "bryd_rammen_aabent"):
        s = copy.deepcopy(state)
        s["committees"]["1"]["meters"]["oekonomi"] = 48  # just what the frame asks for
        s = vote_all(school, s, "1", key, choice)
        s, _ = act(school, s, "lock", player=fa, key=key)
        c = s["committees"]["1"]
        option = next(o for o in school.card(FRAME_CARD).options if o.id == choice)  # type: ignore[union-attr]
        assert c["meters"]["oekonomi"] == 48 + option.effects.meters["oekonomi"]
        assert option.consequence in [x["text"] for x in c["log"]]
        # The other cards and the recommendation left as they are, the council decides.
        while not school.rounds[s["round"]].outcome:
            s, _ = act(school, s, "advance")
        results[choice] = s["committees"]["1"]["frames"]
    assert results == {"hold_rammen": {FRAME: True}, "bryd_rammen_aabent": {FRAME: False}}


def test_a_frame_in_another_case_needs_no_code(school):
    """The rules know frames, not the school case: a small case with its own role and test."""
    data = load_case_file(ROOT / "tests" / "cases" / "mini.yaml")[1]
    data = copy.deepcopy(data)
    task = {
        "id": "maal",
        "type": "frame",
        "prompt": "p",
        "actor": "fa",
        "required": False,
        "options": [
            {
                "id": "hoejt",
                "label": "High",
                "effects": {"b": 1},
                "test": {
                    "when": [{"meter": "a", "min": 70}],
                    "kept": {"text": "held", "effects": {"a": 20}},
                    "broken": {"text": "broke", "effects": {"a": -5}},
                },
            },
            {"id": "lavt", "label": "Low", "effects": {"a": 1}},
        ],
    }
    data["rounds"][1]["tasks"].append(task)
    mini = parse_case(data)
    state = to_round(mini, running(mini, 4), "r1")
    fa = holder(state, "1", "fa")
    refuse(mini, state, "lock", "not_allowed", player=holder(state, "1", "ig"), key="maal")
    state, _ = act(mini, state, "lock", player=fa, key="maal", value="hoejt")
    state["committees"]["1"]["meters"]["a"] = 50
    while not mini.rounds[state["round"]].outcome:
        state, _ = act(mini, state, "advance")
    c = state["committees"]["1"]
    assert c["frames"] == {"maal": False} and c["meters"]["a"] == 45
    assert c["log"][-1]["text"] == "broke"


# --- the phone: the igangsætter's view has the move, the others see it --------------------


@pytest.mark.django_db(transaction=True)
async def test_the_igangsaetters_phone_gets_the_frame_and_the_others_see_it_set(alice, school_case):
    from channels.db import database_sync_to_async

    def setup() -> tuple[Any, dict[str, tuple[str, str]]]:
        session = actions.create_session(
            host=alice, case_version=school_case, options={"size": 3, "rotate_roles": False}
        )
        seats = {}
        for name in ("Anna", "Bent", "Carla"):
            player, token, _done = actions.join(session, name)
            seats[name] = (player.pid, token)
        for kind in ("form", "start", "advance"):
            actions.perform(session.pk, {"kind": kind}, actor="host")
        session.refresh_from_db()
        return session, seats

    session, seats = await database_sync_to_async(setup)()
    clients = {
        name: Client(player_client(session, token), name) for name, (_p, token) in seats.items()
    }
    try:
        for c in clients.values():
            await c.connect()
        roles = {name: c.view["me"]["role"] for name, c in clients.items()}
        ig = next(name for name, role in roles.items() if role == "igangsaetter")
        other = next(name for name, role in roles.items() if role != "igangsaetter")
        frame = next(d for d in clients[ig].view["committee"]["decisions"] if d["key"] == FRAME)
        assert frame["type"] == "frame" and frame["lead"] == "igangsaetter"
        assert [o["id"] for o in frame["options"]][:1] == ["bred_opbakning"]
        assert frame["options"][0]["text"]  # what the council will test, on the phone
        assert clients[ig].view["committee"]["frames"] == []
        # Another member may not set it, nor vote on it; the reason is Danish by default.
        no = await clients[other].send(type="lock", key=FRAME, value="nyt_svar")
        assert no["code"] == "not_allowed" and "Igangsætter" in no["reason"]
        no = await clients[other].send(type="vote", key=FRAME, value="nyt_svar")
        assert no["code"] == "not_allowed" and "stemmes ikke" in no["reason"]
        ok = await clients[ig].send(type="lock", key=FRAME, value="nyt_svar")
        await everyone_until(list(clients.values()), ok["v"])
        for c in clients.values():
            d = next(d for d in c.view["committee"]["decisions"] if d["key"] == FRAME)
            assert d["locked"] == "nyt_svar"
            (standing,) = c.view["committee"]["frames"]
            assert standing["label"] == "Succes er et nyt svar – ikke mere af det samme"
            assert standing["kept"] is None
    finally:
        for c in clients.values():
            await c.communicator.disconnect()
