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


@pytest.mark.slow
def test_a_detection_run_on_the_same_input_writes_the_same_bytes(tmp_path: Path) -> None:
    snapshot = write_generated_snapshot(tmp_path / "snapshot", scale=0.05, seed=7)
    store = LocalStore(tmp_path / "store")
    load_into(store, snapshot, quarantine_dir=tmp_path / "quarantine")
    result = run_detection(store, run_id="run-20261120T000000Z-fixed1",
                           now=datetime(2026, 11, 20, tzinfo=UTC))
    write_rings_jsonl(result.rings, tmp_path / "rings.jsonl")
    assert (tmp_path / "rings.jsonl").read_bytes() == (FIXTURES / "first_run" / "rings.jsonl").read_bytes()
    expected = (FIXTURES / "first_run" / "run.json").read_text()
    # The one value that differs between two runs of the same input.
    run = {**result.run, "duration_seconds": json.loads(expected)["duration_seconds"]}
    assert json.dumps(run, indent=2) == expected


@pytest.mark.parametrize("run", ["first_run", "second_run"])
def test_rings_jsonl_written_again_is_byte_identical(run: str, tmp_path: Path) -> None:
    original = FIXTURES / run / "rings.jsonl"
    rings = [json.loads(line) for line in original.read_text().splitlines()]
    write_rings_jsonl(rings, tmp_path / "rings.jsonl")
    assert (tmp_path / "rings.jsonl").read_bytes() == original.read_bytes()
