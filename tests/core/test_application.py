"""The application layer without a terminal: load a snapshot, run a detection, read what was written."""

from __future__ import annotations

import json
from pathlib import Path

from ringwatch.detection import DETECTION_STEPS, RING_FIELDS, detect_into
from ringwatch.graph.local_store import LocalStore
from ringwatch.loading import load_into


def test_load_then_detect_writes_the_contract_outputs(generated_snapshot: Path,
                                                       tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    tables, rows, checked = [], [], []
    result = load_into(store, generated_snapshot, quarantine_dir=tmp_path / "q",
                       validated=tables.append, checked=checked.append,
                       written=lambda table, n: rows.append(n))
    assert result.summary.reconciles and checked == [result]
    assert sum(rows) == result.snapshot.rows  # every row reported once
    assert len(tables) >= 5
    steps: list[str] = []
    run = detect_into(store, tmp_path / "out", progress=steps.append,
                      extra={"load_summary": result.summary.as_dict()})
    assert tuple(steps) == DETECTION_STEPS
    lines = [json.loads(line) for line in (tmp_path / "out" / "rings.jsonl").read_text()
             .splitlines()]
    assert len(lines) == len(run.rings) > 0
    assert all(list(line) == [f for f in RING_FIELDS if f in line] for line in lines)
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["run_id"] == run.run["run_id"] and record["load_summary"]["reconciles"]
