"""cycamore:Separations: stream efficiencies, full stream buffers, leftover, retirement, input checks."""

from __future__ import annotations

import pytest
from mocksim import agent_ids, run_sim, sink, source, transactions

from cycsrv.kernel.infile import InputError

RECIPES = """
<recipe><name>spent</name><basis>mass</basis>
  <nuclide><id>U235</id><comp>1</comp></nuclide><nuclide><id>U238</id><comp>96</comp></nuclide>
  <nuclide><id>Pu239</id><comp>2</comp></nuclide><nuclide><id>Pu240</id><comp>1</comp></nuclide></recipe>
"""


def stream(commod: str, buf: float, effs: dict[str, float]) -> str:
    items = "".join(f"<item><comp>{c}</comp><eff>{e}</eff></item>" for c, e in effs.items())
    return f"<item><commod>{commod}</commod><info><buf_size>{buf}</buf_size><efficiencies>{items}</efficiencies>" \
           "</info></item>"


def separations(streams: str, extra: str = "", lifetime: int | None = None, throughput: float = 100) -> str:
    life = f"<lifetime>{lifetime}</lifetime>" if lifetime is not None else ""
    return (f"<facility><name>Sep</name>{life}<config><Separations><feed_commods><val>feed</val></feed_commods>"
            f"<feedbuf_size>100</feedbuf_size><throughput>{throughput}</throughput><leftover_commod>waste</leftover_commod>"
            f"<streams>{streams}</streams>{extra}</Separations></config></facility>")


def run(facilities: list[str], duration: int):
    return run_sim(facilities, duration, recipes=RECIPES)


def test_element_and_nuclide_efficiencies_split_the_feed():
    streams = stream("pu", -1, {"Pu": 0.9, "Pu240": 0.5}) + stream("u", -1, {"U": 1.0})
    rows = run([separations(streams), source("Src", "feed", 100, "spent"), sink("P", "pu"), sink("U", "u"),
                sink("W", "waste")], 3)
    at1 = {t["Commodity"]: t["Quantity"] for t in transactions(rows, sender="Sep") if t["Time"] == 2}
    assert at1["pu"] == pytest.approx(2 * 0.9 + 1 * 0.5)
    assert at1["u"] == pytest.approx(97)
    assert at1["waste"] == pytest.approx(100 - 97 - 2.3)
    events = [(r["Event"], r["Type"], r["Value"]) for r in rows.table("SeparationEvents") if r["Time"] == 1]
    assert events[0] == ("Separating", "feed", 100)
    assert [e[1] for e in events[1:]] == ["pu", "u"]
    positions = [r for r in rows.table("AgentPosition") if r["Prototype"] == "Sep"]
    assert len(positions) == 2  # one per stream, as Cycamore writes them


def test_a_full_stream_buffer_holds_back_feed():
    rows = run([separations(stream("pu", 1.5, {"Pu": 1.0})), source("Src", "feed", 100, "spent"),
                sink("W", "waste")], 3)
    supply = [r["Value"] for r in rows.table("TimeSeriessupplypu")]
    assert supply == pytest.approx([1.5, 1.5])
    separated = [r["Value"] for r in rows.table("SeparationEvents") if r["Event"] == "Separated"]
    assert separated[0] == pytest.approx(1.5)
    assert separated[1:] == [0.0]  # the buffer is full: nothing more is separated
    feed = [r["Value"] for r in rows.table("SeparationEvents") if r["Event"] == "Separating"]
    assert feed == pytest.approx([100, 100])
    # half the feed (1.5 of 3 kg Pu fit) went back to the feed buffer, so only 50 kg is bought at t=1,
    # and nothing at t=2 when the feed buffer is still full
    assert [t["Quantity"] for t in transactions(rows, receiver="Sep")] == pytest.approx([100, 50])
    assert [r["Value"] for r in rows.table("TimeSeriessupplywaste")] == pytest.approx([48.5, 0.0])  # the waste sink empties it


def test_retired_separations_ships_everything_before_leaving():
    streams = stream("u5", -1, {"U235": 1.0})
    rows = run([separations(streams, lifetime=2), source("Src", "feed", 100, "spent"), sink("S5", "u5"),
                sink("W", "waste", 70)], 6)
    assert len(transactions(rows, receiver="Sep")) == 1
    sent = transactions(rows, sender="Sep")
    assert len(sent) == 3 and sum(t["Quantity"] for t in sent) == pytest.approx(100)
    sep_id = agent_ids(rows)["Sep"]
    assert [r["ExitTime"] for r in rows.table("AgentExit") if r["AgentId"] == sep_id] == [2]


def test_efficiencies_over_one_are_refused():
    streams = stream("a", -1, {"U": 0.6, "Pu239": 0.7}) + stream("b", -1, {"U": 0.1, "Pu239": 0.7})
    with pytest.raises(ValueError, match=r"Sep.*cumulative separation efficiency greater than 1: 942390000"):
        run([separations(streams)], 1)


def test_negative_throughput_is_refused_with_its_range():
    with pytest.raises(InputError, match=r"'Sep'.*throughput = -1 is outside the allowed range"):
        run([separations(stream("a", -1, {"U": 1}), throughput=-1)], 1)
