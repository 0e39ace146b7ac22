"""Tables validated at once give what tables validated one after another give."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from ringwatch.loaders import LoadResult, SnapshotError, load_snapshot
from ringwatch.loaders import snapshot as snapshot_module

from ..snapshots import write_bad_snapshot


def _load(snapshot: Path, quarantine: Path, workers: int,
          monkeypatch: pytest.MonkeyPatch) -> LoadResult:
    monkeypatch.setattr(snapshot_module, "WORKERS", workers)
    return load_snapshot(snapshot, quarantine_dir=quarantine)


def test_a_parallel_load_equals_a_serial_one_row_for_row(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = write_bad_snapshot(tmp_path / "bad")
    serial = _load(snapshot, tmp_path / "q1", 1, monkeypatch)
    parallel = _load(snapshot, tmp_path / "q4", 4, monkeypatch)
    assert parallel.summary == serial.summary
    assert serial.summary.quarantined > 0  # the comparison covers quarantined rows and references
    for name, frame in serial.snapshot.tables.items():
        pd.testing.assert_frame_equal(parallel.snapshot[name], frame)
    for path in sorted((tmp_path / "q1").iterdir()):
        assert (tmp_path / "q4" / path.name).read_bytes() == path.read_bytes()


def test_the_first_unreadable_table_in_contract_order_is_named(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = write_bad_snapshot(tmp_path / "bad")
    for name in ("shops", "commissions"):  # two broken files: a serial load stops at shops
        data = (snapshot / f"{name}.csv").read_bytes()
        (snapshot / f"{name}.csv").unlink()
        (snapshot / f"{name}.csv.gz").write_bytes(gzip.compress(data)[:-12])
    for workers in (1, 4):
        with pytest.raises(SnapshotError, match=r"shops\.csv\.gz"):
            _load(snapshot, tmp_path / f"q{workers}", workers, monkeypatch)
        assert not (tmp_path / f"q{workers}").exists()
