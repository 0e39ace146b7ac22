"""Rings as of a run, in memory: what a pinned listing shows while runs come and go."""

from __future__ import annotations

from typing import Any

from ringwatch.api.cursors import encode_cursor, read_ring_cursor
from ringwatch.api.ring_views import RingFilter, RingIndex, summarise
from ringwatch.domain import Ring, Run

RUNS = [{"run_id": "run-1"}, {"run_id": "run-2"}]


def _index(rings: list[dict[str, Any]], runs: list[dict[str, Any]], *, generation: int) -> RingIndex:
    """An index of ring and run documents, read into records as a store hands them over."""
    return RingIndex([Ring.from_json(r) for r in rings], [Run.from_json(r) for r in runs],
                     generation=generation)


def _ring(ring_id: str, history: list[tuple[str, float]], *, status: str = "new",
          first: str = "2026-11-01T00:00:00Z", **extra: Any) -> dict[str, Any]:
    return {"ring_id": ring_id, "kind": "identity_ring", "score": history[-1][1] if history else 0.5,
            "status": status, "review_status": extra.pop("review_status", status),
            "first_detected": first, "members": [{"type": "creator", "id": ring_id}],
            "evidence": [{"code": "x", "text": f"weak {ring_id}", "weight": 0.1},
                         {"code": "y", "text": f"strong {ring_id}", "weight": 0.9}],
            "metrics": {"commission_total": float("nan")},
            "history": [{"run_id": r, "score": s, "accounts": 1} for r, s in history], **extra}


def _ids(index: RingIndex, run_id: str | None, **filters: Any) -> list[tuple[str, float, str]]:
    items, _ = index.view(run_id, "score").page(after=None, limit=100,
                                                wanted=RingFilter(statuses=None, **filters))
    return [(i.ring_id, i.score, i.status) for i in items]


def test_a_view_uses_each_rings_score_and_status_as_of_the_run() -> None:
    rings = [
        _ring("R-a", [("run-1", 0.9), ("run-2", 0.2)]),  # fell in run 2
        _ring("R-b", [("run-1", 0.5)], status="dissolved", review_status="confirmed"),
        _ring("R-c", [("run-2", 0.95)], first="2026-11-08T00:00:00Z"),  # new in run 2
    ]
    index = _index(rings, RUNS, generation=0)
    assert _ids(index, "run-1") == [("R-a", 0.9, "new"), ("R-b", 0.5, "confirmed")]
    assert _ids(index, "run-2") == [("R-c", 0.95, "new"), ("R-b", 0.5, "dissolved"),
                                    ("R-a", 0.2, "new")]


def test_rings_only_an_unknown_run_found_are_left_out() -> None:
    # The store saved run-3 between reading the runs and reading the rings.
    rings = [_ring("R-a", [("run-2", 0.4), ("run-3", 0.8)]), _ring("R-new", [("run-3", 0.9)])]
    index = _index(rings, RUNS, generation=0)
    assert index.latest_run == "run-2"
    assert _ids(index, "run-2") == [("R-a", 0.4, "new")]


def test_summaries_are_json_safe_and_name_the_strongest_evidence() -> None:
    index = _index([_ring("R-a", [("run-1", 0.9)])], RUNS[:1], generation=0)
    [item] = index.view("run-1", "score").items
    assert b"NaN" not in item.json and b'"commission_total": null' in item.json
    assert summarise(index.records["R-a"])["top_evidence"] == "strong R-a"


def test_paging_continues_after_the_cursor_key() -> None:
    rings = [_ring(f"R-{i}", [("run-1", 0.5)]) for i in range(5)]
    view = _index(rings, RUNS[:1], generation=0).view("run-1", "score")
    wanted = RingFilter(statuses=None)
    first, after = view.page(after=None, limit=2, wanted=wanted)
    second, after2 = view.page(after=after, limit=2, wanted=wanted)
    third, end = view.page(after=after2, limit=2, wanted=wanted)
    assert [i.ring_id for i in first + second + third] == [f"R-{i}" for i in range(5)]
    assert end is None


def _priced(ring_id: str, money: list[tuple[str, float, float]]) -> dict[str, Any]:
    """A ring with (run id, score, commission then) per run that found it."""
    return {**_ring(ring_id, [(r, s) for r, s, _ in money]),
            "metrics": {"commission_total": money[-1][2], "currency": "EUR", "orders": 1},
            "history": [{"run_id": r, "score": s, "accounts": 1, "commission_total": c,
                         "currency": "EUR", "orders": 1} for r, s, c in money]}


def test_ties_on_score_are_ordered_by_the_money_each_run_saw() -> None:
    rings = [_priced("R-a", [("run-1", 1.0, 5.0), ("run-2", 1.0, 900.0)]),
             _priced("R-b", [("run-1", 1.0, 300.0), ("run-2", 1.0, 2.0)]),
             _priced("R-c", [("run-1", 0.5, 9999.0), ("run-2", 0.5, 9999.0)])]
    index = _index(rings, RUNS, generation=0)
    assert [i for i, _, _ in _ids(index, "run-1")] == ["R-b", "R-a", "R-c"]
    assert [i for i, _, _ in _ids(index, "run-2")] == ["R-a", "R-b", "R-c"]
    assert [s["ring_id"] for s in index.summaries(["R-c", "R-b", "R-a"])] == ["R-a", "R-b", "R-c"]


def test_a_cursor_written_before_ties_had_money_resumes_at_its_scores_ties() -> None:
    rings = [_priced("R-a", [("run-1", 0.9, 5.0)]), _priced("R-b", [("run-1", 0.9, 50.0)]),
             _priced("R-c", [("run-1", 0.95, 1.0)])]
    view = _index(rings, RUNS[:1], generation=0).view("run-1", "score")
    old = read_ring_cursor(encode_cursor({"run": "run-1", "sort": "score", "key": [-0.95, "R-c"]}),
                           "score")
    rest, _ = view.page(after=old.key, limit=10, wanted=RingFilter(statuses=None))
    assert [i.ring_id for i in rest] == ["R-c", "R-b", "R-a"]  # its score's ties again, none skipped
    legacy_in_tie = read_ring_cursor(encode_cursor({"run": "run-1", "sort": "score",
                                                    "key": [-0.9, "R-b"]}), "score")
    again, _ = view.page(after=legacy_in_tie.key, limit=10, wanted=RingFilter(statuses=None))
    assert [i.ring_id for i in again] == ["R-b", "R-a"]
