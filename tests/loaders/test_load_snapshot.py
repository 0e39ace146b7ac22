"""The loader quarantines every kind of bad row with its reason, and every table reconciles."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from ringwatch.loaders import MissingColumnError, MissingTableError, SnapshotError, load_snapshot

from ..snapshots import BAD_ROWS


def test_every_kind_of_bad_row_is_quarantined_with_its_reason(bad_snapshot: Path,
                                                              tmp_path: Path) -> None:
    result = load_snapshot(bad_snapshot, quarantine_dir=tmp_path / "q")
    got = {(t.table, code): n for t in result.summary.tables for code, n in t.reasons.items()}
    assert got == BAD_ROWS
    for table in result.summary.tables:
        assert table.read == table.loaded + table.quarantined, table
    assert result.summary.reconciles


def test_quarantine_file_keeps_the_row_as_given_with_row_and_reason(bad_snapshot: Path,
                                                                    tmp_path: Path) -> None:
    load_snapshot(bad_snapshot, quarantine_dir=tmp_path / "q")
    orders = pd.read_csv(tmp_path / "q" / "orders.csv", dtype=str, keep_default_na=False)
    bad_amount = orders[orders["order_id"] == "o4"].iloc[0]
    assert bad_amount["amount"] == "abc"
    assert bad_amount["_ringwatch_reason"] == "bad_number: amount is not a number: 'abc'"
    assert bad_amount["_ringwatch_source_row"] == "4"
    malformed = orders[orders["_ringwatch_reason"].str.startswith("malformed_row")].iloc[0]
    assert "surplus" in malformed["_ringwatch_raw_line"]
    assert malformed["_ringwatch_source_row"] == "7"
    creators = pd.read_csv(tmp_path / "q" / "creators.csv", dtype=str, keep_default_na=False)
    repeat = creators[creators["note"] == "repeat"].iloc[0]
    assert "first one wins" in repeat["_ringwatch_reason"] and "row 1" in repeat["_ringwatch_reason"]


def test_a_quarantined_row_takes_the_rows_that_reference_it_along(bad_snapshot: Path) -> None:
    result = load_snapshot(bad_snapshot)
    orders = result.snapshot["orders"]
    assert "o8" not in set(orders["order_id"])  # its creator c3 had a bad timestamp
    assert set(result.snapshot["commissions"]["commission_id"]) == {"cm1", "cm4"}


def test_timestamps_follow_the_contract(bad_snapshot: Path) -> None:
    creators = load_snapshot(bad_snapshot).snapshot["creators"].set_index("creator_id")
    registered = creators["registered_at"]
    assert registered["c1"] == pd.Timestamp("2026-01-01T00:00:00Z")  # bare date: midnight UTC
    assert registered["c2"] == pd.Timestamp("2026-01-02T08:00:00Z")  # offset converted to UTC
    assert registered["c5"] == pd.Timestamp("2026-03-01T08:30:00Z")  # no offset: UTC


def test_extra_columns_are_kept_and_optional_columns_may_be_absent(bad_snapshot: Path) -> None:
    snapshot = load_snapshot(bad_snapshot).snapshot
    assert snapshot["creators"].set_index("creator_id").loc["c1", "note"] == "first"
    assert list(snapshot["affiliations"].columns) == [
        "creator_id", "shop_id", "commission_rate", "started_at"]
    assert snapshot["affiliations"].empty


def test_missing_required_column_rejects_the_snapshot_before_writing(bad_snapshot: Path,
                                                                     tmp_path: Path) -> None:
    text = (bad_snapshot / "commissions.csv").read_text().replace(",rate,", ",").splitlines()
    (bad_snapshot / "commissions.csv").write_text(text[0] + "\n")
    with pytest.raises(MissingColumnError, match=r"commissions\.csv: required column rate"):
        load_snapshot(bad_snapshot, quarantine_dir=tmp_path / "q")
    assert not (tmp_path / "q").exists()


def test_missing_required_table_is_named(bad_snapshot: Path) -> None:
    (bad_snapshot / "shops.csv").unlink()
    with pytest.raises(MissingTableError, match="required table shops is missing"):
        load_snapshot(bad_snapshot)


def test_a_table_given_twice_is_an_error(bad_snapshot: Path) -> None:
    shutil.copy(bad_snapshot / "shops.csv", bad_snapshot / "shops.csv.gz")
    with pytest.raises(SnapshotError, match="given twice"):
        load_snapshot(bad_snapshot)


def test_gzip_and_parquet_load_like_csv(bad_snapshot: Path, tmp_path: Path) -> None:
    expected = load_snapshot(bad_snapshot)
    for name in ("creators", "orders"):
        path = bad_snapshot / f"{name}.csv"
        if name == "creators":
            table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in ("creator_id", "registered_at", "region",
                                                        "agency_id", "note")}))
            pq.write_table(table, bad_snapshot / "creators.parquet")
        else:
            with gzip.open(bad_snapshot / "orders.csv.gz", "wt") as out:
                out.write(path.read_text())
        path.unlink()
    again = load_snapshot(bad_snapshot)
    for name in ("creators", "orders"):
        pd.testing.assert_frame_equal(again.snapshot[name], expected.snapshot[name])
        before, after = expected.summary.table(name), again.summary.table(name)
        assert (after.read, after.loaded, after.reasons) == (before.read, before.loaded,
                                                             before.reasons)


def test_typed_parquet_columns_are_accepted(tmp_path: Path, bad_snapshot: Path) -> None:
    creators = pd.DataFrame({
        "creator_id": ["c1", "c2"],
        "registered_at": pd.to_datetime(["2026-01-01", "2026-01-02"]),  # naive: UTC
        "region": ["US", "US"], "agency_id": [None, "ag1"],
    })
    (bad_snapshot / "creators.csv").unlink()
    creators.to_parquet(bad_snapshot / "creators.parquet")
    loaded = load_snapshot(bad_snapshot).snapshot["creators"]
    assert list(loaded["creator_id"]) == ["c1", "c2"]
    assert loaded["registered_at"].iloc[1] == pd.Timestamp("2026-01-02T00:00:00Z")
