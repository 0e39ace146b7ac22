"""What cases need from a store: create once, compare-and-set, list oldest first, survive ``load --replace``.

Each test runs once per store (the parametrised ``store`` fixture): the local
store and the real Neo4j server.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from ringwatch.domain import Case, CaseAccount, CaseNote, CaseStatus
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import Snapshot, load_snapshot

from .small_snapshots import write_small_snapshot


def _case(case_id: str, created_at: str = "2026-11-20T00:00:00Z", **fields: object) -> Case:
    return replace(Case(case_id=case_id, title=f"case {case_id}", owner="ann",
                        status=CaseStatus.OPEN, created_at=created_at, updated_at=created_at),
                   **fields)


def test_a_new_case_is_read_back_as_saved(store: GraphStore) -> None:
    case = _case("C-1", rings=("R-1", "R-2"), accounts=(CaseAccount("creator", "c1"),),
                 notes=(CaseNote("2026-11-20T00:00:00Z", "ann", "two rings, one payout"),))
    assert store.save_case(case, expected_version=None)
    assert store.case("C-1") == case
    assert store.cases() == [case]
    assert store.case("C-404") is None


def test_a_taken_case_id_is_not_overwritten(store: GraphStore) -> None:
    assert store.save_case(_case("C-1"), expected_version=None)
    assert not store.save_case(_case("C-1", title="another"), expected_version=None)
    stored = store.case("C-1")
    assert stored is not None and stored.title == "case C-1"


def test_a_change_is_written_only_at_the_version_read(store: GraphStore) -> None:
    case = _case("C-1")
    store.save_case(case, expected_version=None)
    waiting = replace(case, status=CaseStatus.WAITING, version=2)
    assert store.save_case(waiting, expected_version=1)
    stale = replace(case, title="stale edit", version=2)
    assert not store.save_case(stale, expected_version=1)
    assert store.case("C-1") == waiting
    assert not store.save_case(_case("C-2", version=2), expected_version=1)  # missing
    assert store.case("C-2") is None


def test_a_version_that_does_not_grow_is_refused(store: GraphStore) -> None:
    store.save_case(_case("C-1"), expected_version=None)
    with pytest.raises(ValueError, match="greater than 1"):
        store.save_case(_case("C-1", title="same version"), expected_version=1)
    with pytest.raises(ValueError, match="greater than 0"):
        store.save_case(_case("C-2", version=0), expected_version=None)


def test_cases_are_listed_oldest_first(store: GraphStore) -> None:
    for case_id, at in (("C-b", "2026-11-21T00:00:00Z"), ("C-c", "2026-11-20T00:00:00Z"),
                        ("C-a", "2026-11-21T00:00:00Z")):
        store.save_case(_case(case_id, at), expected_version=None)
    assert [c.case_id for c in store.cases()] == ["C-c", "C-a", "C-b"]


def test_concurrent_editors_of_one_version_have_one_winner(store: GraphStore) -> None:
    store.save_case(_case("C-1"), expected_version=None)
    results: list[bool] = []
    barrier = threading.Barrier(6)

    def edit(i: int) -> None:
        barrier.wait()
        results.append(store.save_case(_case("C-1", title=f"edit {i}", version=2),
                                       expected_version=1))

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]
    stored = store.case("C-1")
    assert stored is not None and stored.version == 2 and stored.title.startswith("edit ")


def test_cases_survive_load_replace(store: GraphStore, tmp_path: Path) -> None:
    """Cases are the team's work, like verdicts: a new snapshot does not take them away."""
    def snapshot(prefix: str) -> Snapshot:
        directory = write_small_snapshot(tmp_path / prefix, prefix=prefix, creators=8)
        return load_snapshot(directory, quarantine_dir=tmp_path / f"{prefix}q").snapshot

    store.write_snapshot(snapshot("old_"))
    case = _case("C-1", rings=("R-1",), accounts=(CaseAccount("creator", "old_c0"),))
    store.save_case(case, expected_version=None)
    store.write_snapshot(snapshot("new_"), replace=True)
    assert store.counts()["Creator"] == 8
    assert store.cases() == [case]


def test_clear_removes_cases(store: GraphStore) -> None:
    store.save_case(_case("C-1"), expected_version=None)
    store.clear()
    assert store.cases() == []
