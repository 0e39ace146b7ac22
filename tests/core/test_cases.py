"""Cases in the application layer: which case a ring is worked in, and its id in enforcement actions.

The HTTP behaviour (owner, If-Match, audit, 4xx) is proven in tests/api/test_app_cases.py;
here, what the enforcement job reads from cases, on both stores.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from ringwatch.cases import Editor, add_ring, cases_of_rings, open_case, set_status
from ringwatch.domain import Case, CaseStatus
from ringwatch.enforcement.job import action_id, enforce
from ringwatch.graph.store import GraphStore

from .test_enforcement import NIGHT, confirmed_rings, exported

ANN = Editor(actor="ann", key_id="k-ann", role="investigator")


def _case(case_id: str, rings: tuple[str, ...], *, status: CaseStatus = CaseStatus.OPEN,
          updated_at: str = "2026-11-01T00:00:00Z") -> Case:
    return Case(case_id=case_id, title=case_id, owner="ann", status=status,
                created_at="2026-11-01T00:00:00Z", updated_at=updated_at, rings=rings)


def test_a_ring_in_several_cases_belongs_to_the_open_most_recently_changed_one() -> None:
    cases = [
        _case("C-closed-late", ("R-1", "R-2"), status=CaseStatus.CLOSED, updated_at="2026-11-09T00:00:00Z"),
        _case("C-b", ("R-1",), updated_at="2026-11-03T00:00:00Z"),
        _case("C-a", ("R-1", "R-3"), updated_at="2026-11-03T00:00:00Z"),
        _case("C-old", ("R-1",), updated_at="2026-11-02T00:00:00Z"),
    ]
    for order in (cases, cases[::-1]):
        assert cases_of_rings(order) == {"R-1": "C-a", "R-2": "C-closed-late", "R-3": "C-a"}
    assert cases_of_rings([]) == {}


def test_actions_of_a_ring_confirmed_inside_a_case_carry_the_case_id(store: GraphStore,
                                                                     tmp_path: Path) -> None:
    confirmed_rings(store, 3)
    case = open_case(store, "two of three", editor=ANN, rings=["R-0001"])
    case = add_ring(store, case.case_id, "R-0002", editor=ANN, expected_version=case.version)
    closed = open_case(store, "an old look at R-0002", editor=ANN, rings=["R-0002"])
    set_status(store, closed.case_id, "closed", outcome="nothing then", editor=ANN,
               expected_version=1)

    enforce(store, tmp_path / "out", batch_id="b1", now=NIGHT)
    by_ring: dict[str, set[str | None]] = {}
    for action in exported(tmp_path / "out"):
        by_ring.setdefault(action["ring_id"], set()).add(action["case_id"])
    assert by_ring == {"R-0000": {None}, "R-0001": {case.case_id}, "R-0002": {case.case_id}}
    # The case is not part of an action's identity: the same action keeps its id.
    action = next(a for a in exported(tmp_path / "out") if a["ring_id"] == "R-0001")
    assert action["action_id"] == action_id(action["action"], action["target"]["type"],
                                            action["target"]["id"], "R-0001", action["ring_version"])


def test_the_csv_actions_end_with_the_case_id_column(store: GraphStore, tmp_path: Path) -> None:
    confirmed_rings(store, 2)
    case = open_case(store, "one ring", editor=ANN, rings=["R-0000"])
    enforce(store, tmp_path / "out", batch_id="b1", now=NIGHT, fmt="csv")
    with (tmp_path / "out" / "actions-b1.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[-1] == "case_id"
    assert {(r["ring_id"], r["case_id"]) for r in rows} == {("R-0000", case.case_id), ("R-0001", "")}


def test_cases_of_rings_reads_what_the_store_keeps(store: GraphStore) -> None:
    confirmed_rings(store, 1)
    case = open_case(store, "kept", editor=ANN, rings=["R-0000"])
    assert cases_of_rings(store.cases()) == {"R-0000": case.case_id}
    assert [replace(c, notes=()) for c in store.cases()] == [case]
