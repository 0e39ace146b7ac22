"""The Spark reader quarantines what the loader quarantines, with the same reasons and files.

Each damaged snapshot goes through :func:`ringwatch.loaders.load_snapshot`
and :func:`ringwatch.spark.validate.load_snapshot_on_spark`; the quarantine
files must be equal byte for byte, the reconcile (read, loaded, quarantined,
reasons per code) equal, and the surviving rows equal frame for frame.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ringwatch.loaders import load_snapshot
from ringwatch.spark.validate import load_snapshot_on_spark
from ringwatch.tables import TABLES_BY_NAME

from ..snapshots import BAD_ROWS, write_bad_snapshot, write_clean_snapshot, write_generated_snapshot


def _damaged_values(directory: Path) -> Path:
    """The clean snapshot with padded, oddly cased, repeated, empty and out-of-range values (no
    record of the wrong width: those are the loader reader's, see the bad snapshot)."""
    write_clean_snapshot(directory)
    creators = directory / "creators.csv"
    lines = creators.read_text().splitlines()
    lines += [lines[1], " c7 ,2026-01-02T10:00:00,US,,padded id", "c8,  2026-01-02  ,US,,",
              "c9,2026-13-01,US,,month 13", "c10,2026-01-02T03:04:05.123456Z,US,,micro"]
    creators.write_text("\n".join(lines) + "\n")
    orders = directory / "orders.csv"
    lines = orders.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")

    def variant(**values: str) -> str:
        return ",".join(values.get(name, row[i]) for i, name in enumerate(header))

    lines += [variant(order_id="ox1", status=" COMPLETED "), variant(order_id="ox2", amount="1e400"),
              variant(order_id="ox3", amount=" 2.5 "), variant(order_id="ox4", currency=""),
              variant(order_id="ox5", shop_id="   "), variant(order_id="ox6", amount="+.5e1")]
    orders.write_text("\n".join(lines) + "\n")
    return directory


SNAPSHOTS = {"bad": write_bad_snapshot, "damaged_values": _damaged_values,
                      "generated": lambda d: write_generated_snapshot(d, scale=0.02, seed=3)}


@pytest.mark.parametrize("make", sorted(SNAPSHOTS))
def test_spark_quarantines_as_the_loader_does(spark, tmp_path: Path, make: str) -> None:
    snapshot = SNAPSHOTS[make](tmp_path / "snapshot")
    ours = load_snapshot(snapshot, quarantine_dir=tmp_path / "loader")
    theirs = load_snapshot_on_spark(spark, snapshot, quarantine_dir=tmp_path / "spark")

    assert theirs.summary.as_dict() | {"snapshot": ""} == ours.summary.as_dict() | {"snapshot": ""}
    written = sorted(p.name for p in (tmp_path / "loader").iterdir())
    assert sorted(p.name for p in (tmp_path / "spark").iterdir()) == written
    for name in written:
        assert (tmp_path / "spark" / name).read_text() == (tmp_path / "loader" / name).read_text(), name
    if make == "bad":  # the damage the bad snapshot is known for, found on Spark
        for (table, code), rows in BAD_ROWS.items():
            assert theirs.summary.table(table).reasons.get(code) == rows, (table, code)

    for name, frame in ours.snapshot.tables.items():  # Spark keeps no row order: both by key
        key = list(TABLES_BY_NAME[name].key)
        got = theirs.tables[name].toPandas().sort_values(key, kind="stable").reset_index(drop=True)
        expected = frame.sort_values(key, kind="stable").reset_index(drop=True)
        assert list(got.columns) == list(expected.columns), name
        for column in expected.columns:  # types as the stores normalise them; values exactly
            left, right = got[column], expected[column]
            if pd.api.types.is_datetime64_any_dtype(right):
                left = pd.to_datetime(left, utc=True).dt.as_unit("us")
                right = right.dt.tz_convert("UTC").dt.as_unit("us")
            assert left.astype(object).where(left.notna(), None).tolist() == \
                right.astype(object).where(right.notna(), None).tolist(), (name, column)


def test_run_with_the_spark_engine_validates_on_spark(spark, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``ringwatch run --engine spark`` quarantines on Spark: same files and summary as in process."""
    import json

    from typer.testing import CliRunner

    import ringwatch.spark.validate as validate
    from ringwatch.api.cli import app

    calls = []
    real = validate.load_snapshot_on_spark
    monkeypatch.setattr(validate, "load_snapshot_on_spark",
                        lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    snapshot = write_bad_snapshot(tmp_path / "snapshot")
    outs = {}
    for engine in ("in-process", "spark"):
        out = tmp_path / engine
        result = CliRunner().invoke(app, ["run", "--data", str(snapshot), "--out", str(out),
                                          "--store", str(tmp_path / f"store-{engine}"),
                                          "--engine", engine, "--spark-master", "local[2]"])
        assert result.exit_code == 0, result.output
        outs[engine] = out
    assert calls == [snapshot]  # the Spark run, and only it, validated on Spark
    assert json.loads((outs["spark"] / "load_summary.json").read_text()) == json.loads(
        (outs["in-process"] / "load_summary.json").read_text())
    files = sorted(p.name for p in (outs["in-process"] / "quarantine").iterdir())
    assert files and sorted(p.name for p in (outs["spark"] / "quarantine").iterdir()) == files
    for name in files:
        assert (outs["spark"] / "quarantine" / name).read_text() == \
            (outs["in-process"] / "quarantine" / name).read_text()
