"""The contract's JSON stays byte-compatible with what Ringwatch wrote before (tests/fixtures/contract)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ringwatch.detection import write_rings_jsonl
from ringwatch.detectors.pipeline import run_detection
from ringwatch.graph.local_store import LocalStore
from ringwatch.loading import load_into

from ..snapshots import write_generated_snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "contract"
#: Fields added to the contract since the fixture was written, additively (after its own).
ADDED_RING_FIELDS = ("uncalibrated_score",)
ADDED_RUN_FIELDS = ("calibration",)


@pytest.mark.slow
def test_a_detection_run_writes_what_the_fixture_was_written_as(tmp_path: Path) -> None:
    """The same run as the fixture's, by today's detectors: which rings they find may change
    (detection improves), the shape they are written in may not."""
    snapshot = write_generated_snapshot(tmp_path / "snapshot", scale=0.05, seed=7)
    store = LocalStore(tmp_path / "store")
    load_into(store, snapshot, quarantine_dir=tmp_path / "quarantine")
    result = run_detection(store, run_id="run-20261120T000000Z-fixed1",
                           now=datetime(2026, 11, 20, tzinfo=UTC))
    write_rings_jsonl(result.rings, tmp_path / "rings.jsonl")
    written = [json.loads(line) for line in (tmp_path / "rings.jsonl").read_text().splitlines()]
    fixture = [json.loads(line)
               for line in (FIXTURES / "first_run" / "rings.jsonl").read_text().splitlines()]
    assert written and fixture
    assert {tuple(ring) for ring in written} == {(*fixture[0], *ADDED_RING_FIELDS)}  # keys, in order
    assert {tuple(m) for r in written for m in r["members"]} == {("type", "id")}
    assert {tuple(e) for r in written for e in r["evidence"]} == {
        tuple(e) for r in fixture for e in r["evidence"]}
    expected = json.loads((FIXTURES / "first_run" / "run.json").read_text())
    assert list(json.loads(json.dumps(result.run))) == [*expected, *ADDED_RUN_FIELDS]
    # Rings the fixture's detectors found are found again under the same ids.
    assert {r["ring_id"] for r in fixture} & {r["ring_id"] for r in written}


@pytest.mark.parametrize("run", ["first_run", "second_run"])
def test_rings_jsonl_written_again_is_byte_identical(run: str, tmp_path: Path) -> None:
    original = FIXTURES / run / "rings.jsonl"
    rings = [json.loads(line) for line in original.read_text().splitlines()]
    write_rings_jsonl(rings, tmp_path / "rings.jsonl")
    assert (tmp_path / "rings.jsonl").read_bytes() == original.read_bytes()
