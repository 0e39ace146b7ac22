"""A reference lookup through sorted hashes answers exactly what Arrow's ``is_in`` answers:
for large sets of ids, for ids that share a hash, for nulls, and in a whole load.

These are the numpy path's tests: the compiled checks, which take over where the install
built them, are switched off here (tests/loaders/test_native.py compares the two)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringwatch import native
from ringwatch.loaders import known_ids as module
from ringwatch.loaders import load_snapshot
from ringwatch.loaders.known_ids import MIN_HASHED, contains, known_ids

text = st.text(alphabet="ab\u00e9\U0001f600", max_size=5)


@pytest.fixture(autouse=True)
def numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "_LIBRARY", None)


@settings(max_examples=150, deadline=None)
@given(st.lists(text, max_size=30, unique=True), st.lists(st.none() | text, max_size=30),
       st.booleans())
def test_contains_is_is_in(ids: list[str], probes: list[str | None], collide: bool) -> None:
    values = pa.array(ids, pa.string())
    probe = pa.chunked_array([pa.array(probes[:3], pa.string()), pa.array(probes[3:], pa.string())])
    expected = pc.is_in(probe, value_set=values).to_pylist()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "MIN_HASHED", 0)
        patch.setattr(module, "ALWAYS_HASHED", 0)
        if collide:  # every value one hash: each match must be decided by value
            patch.setattr(module, "column_hashes",
                          lambda v: np.zeros(len(v), dtype=np.uint64))
        found = contains(known_ids(values), probe)
    assert found.to_pylist() == expected


def test_a_large_set_is_hashed_and_finds_exactly_its_ids() -> None:
    ids = pa.array([f"o_{i:09d}" for i in range(MIN_HASHED + 10)])
    known = known_ids(ids)
    assert known.hashes is not None
    probe = pa.array(["o_000000003", "o_999999999", None, f"o_{MIN_HASHED + 9:09d}", "o_00000003"])
    assert contains(known, probe).to_pylist() == [True, False, False, True, False]


def test_a_load_with_hashed_lookups_quarantines_what_is_in_quarantines(
        bad_snapshot: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = load_snapshot(bad_snapshot, quarantine_dir=tmp_path / "plain")
    monkeypatch.setattr(module, "MIN_HASHED", 1)  # the hashed lookup for every reference
    monkeypatch.setattr(module, "ALWAYS_HASHED", 1)
    hashed = load_snapshot(bad_snapshot, quarantine_dir=tmp_path / "hashed")
    assert hashed.summary.as_dict()["tables"] == plain.summary.as_dict()["tables"]
    assert plain.summary.table("commissions").reasons.get("unknown_reference", 0) > 0
    for name in ("identity_links", "orders", "commissions"):
        assert (tmp_path / "hashed" / f"{name}.csv").read_text() == \
            (tmp_path / "plain" / f"{name}.csv").read_text()
