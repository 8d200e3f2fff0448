"""The scale bench (bench/broadcast.py) runs and measures what it says: a small run, and
its client's gap rule and lost-vote check on frames and views made here. Figures are
printed, never asserted: only what any correct server gives ten players is."""

import asyncio
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

spec = importlib.util.spec_from_file_location("bench_broadcast", ROOT / "bench" / "broadcast.py")
assert spec is not None and spec.loader is not None
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_a_small_run_prints_the_table_writes_the_results_and_ends_with_the_ratio(tmp_path):
    out = tmp_path / "results.json"
    result = subprocess.run(
        [
            sys.executable,
            "bench/broadcast.py",
            "--players",
            "10",
            "--repeat",
            "1",
            "--settle",
            "20",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"ratio: \d+\.\d", lines[-1]), lines[-3:]
    assert "1,000 players were not run" in lines[-3]
    for row in (
        "join storm: all seated",
        "round change p99",
        "vote -> committee p99",
        "vote: lost votes",
        "vote x2: lost votes",
        "server KB per player",
        "floor p99",
    ):
        assert any(line.startswith(row) for line in lines), row
    run = json.loads(out.read_text())["runs"][0]
    assert run["players"] == 10 and "error" not in run
    assert run["join"]["seated"] == 10 and not run["join"]["timed_out"]
    # two round changes (back, advance), each reaching all ten players
    assert run["round"]["changes"] == 2 and run["round"]["n"] == 20
    assert run["round"]["players_not_reached"] == 0
    # ten votes, each reaching the four other members of its committee, none lost
    vote = run["vote"]
    assert vote["votes_sent"] == vote["acked"] == 10
    assert vote["n"] == 40 and vote["members_not_reached"] == 0 and vote["lost"] == 0
    twice = run["vote_x2"]
    assert twice["votes_sent"] == twice["acked"] == 20 and twice["lost"] == 0
    assert run["floor"]["connected"] == 10 and run["floor"]["n"] == 20
    assert run["server"]["kb_per_player"] > 0 and run["server"]["cpu_ms_per_vote"] > 0
    assert f"ratio: {run['ratio']:.1f}" == lines[-1]


class FakeSocket:
    def __init__(self):
        self.sent = []

    async def send(self, text):
        self.sent.append(json.loads(text))

    def __aiter__(self):
        return self

    async def __anext__(self):
        await asyncio.sleep(3600)

    async def close(self):
        pass


def frames(stream, texts):
    for i, text in enumerate(texts):
        stream.frame(text.encode(), float(i))


def test_the_clients_gap_rule_with_prev_skips_versions_it_cannot_see_and_catches_a_gap():
    async def go():
        s = bench.Stream(FakeSocket())
        frames(
            s,
            [
                '{"type":"snapshot","v":3,"ref":null,"view":{"me":{"id":"7"}}}',
                '{"type":"event","v":5,"prev":3,"patch":[]}',  # 4 was not for it: applied
                '{"type":"event","v":5,"prev":3,"patch":[]}',  # old
                '{"type":"event","v":9,"prev":6,"patch":[]}',  # 6 is missing: a gap
                '{"type":"event","v":10,"prev":9,"patch":[]}',  # ignored until the snapshot
            ],
        )
        await asyncio.sleep(0)
        assert (s.pid, s.version, s.gaps, s.versions) == ("7", 5, 1, [3, 5])
        assert s.ws.sent == [{"type": "sync"}]
        frames(s, ['{"type":"snapshot","v":10,"ref":null,"view":{"me":{"id":"7"}}}'])
        assert s.versions == [3, 5, 10] and s.reached(6) == 0.0 and s.reached(11) is None
        await s.close()

    asyncio.run(go())


def test_the_clients_gap_rule_without_prev_wants_every_version():
    async def go():
        s = bench.Stream(FakeSocket())
        frames(
            s,
            [
                '{"type":"snapshot","v":1,"ref":null,"view":{"me":{"id":"1"}}}',
                '{"type":"event","v":2,"patch":[["/a",1]]}',
                '{"patch":[],"v":4,"type":"event"}',  # 3 is missing, in any key order
            ],
        )
        await asyncio.sleep(0)
        assert (s.version, s.gaps) == (2, 1)
        await s.close()

    asyncio.run(go())


def test_a_player_whose_last_acknowledged_vote_the_hosts_view_does_not_show_lost_it():
    view = {
        "committees": {
            "1": {
                "members": [{"id": str(i)} for i in range(1, 7)],
                "decisions": [{"key": "t1", "votes": {"1": ["a", "b"], "2": ["c"], "4": ["a"],
                                                      "5": ["b"]}}],
            }
        }
    }  # fmt: skip
    votes = [
        ("1", {"key": "t1", "value": ["b", "a"]}, 8),  # shown (the order does not matter)
        ("2", {"key": "t1", "value": ["a"]}, 9),  # another value: lost
        ("3", {"key": "t1", "value": ["a"]}, 10),  # not there: lost
        ("4", {"key": "t1", "value": ["b"]}, 11),  # voted again, and the later one shows
        ("4", {"key": "t1", "value": ["a"]}, 12),
        ("5", {"key": "t1", "value": ["a"]}, 13),  # the second vote had no answer in time
        ("5", {"key": "t1", "value": ["b"]}, None),  # and was applied after: not lost
        ("6", {"key": "t1", "value": ["a"]}, None),  # never acknowledged: nothing to lose
        ("9", {"key": "t1", "value": ["a"]}, 14),  # in no committee: lost
    ]
    assert bench.lost_votes(votes, view) == 3
    assert bench.lost_votes([*votes, ("4", {"key": "t1", "value": ["c"]}, 15)], view) == 4
