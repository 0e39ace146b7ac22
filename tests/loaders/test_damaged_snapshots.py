"""Every kind of damage a marketplace export arrives with gives a quarantined row or one clear error.

One test per kind of damage: the loader never raises anything but a
``SnapshotError`` naming the file (and the column, or the positions), never
drops a row silently, and quarantines a damaged row as given instead of
rejecting its table.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ringwatch.api.cli import app
from ringwatch.loaders import (
    BadHeaderError,
    ColumnTypeError,
    LoadResult,
    SnapshotError,
    UnreadableFileError,
    load_snapshot,
)
from ringwatch.loaders.schema import MAX_VALUE_BYTES

from ..snapshots import write_clean_snapshot

runner = CliRunner()


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    return write_clean_snapshot(tmp_path / "snapshot")


def _edit(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    """Rewrite a CSV file's lines (header first) through ``change``."""
    path.write_text("\n".join(change(path.read_text().splitlines())) + "\n")


def _load(snapshot: Path, tmp_path: Path) -> LoadResult:
    result = load_snapshot(snapshot, quarantine_dir=tmp_path / "q")
    assert result.summary.reconciles
    return result


def _quarantine(tmp_path: Path, table: str) -> list[dict[str, str]]:
    """A quarantine file's rows, read with nothing but the csv module (strict UTF-8)."""
    text = (tmp_path / "q" / f"{table}.csv").read_bytes().decode("utf-8")
    limit = csv.field_size_limit(2**31 - 1)  # the oversized values are in there too
    try:
        return list(csv.DictReader(io.StringIO(text, newline="")))
    finally:
        csv.field_size_limit(limit)


def _to_parquet(snapshot: Path, table: str, **extra: pa.Array) -> None:
    """Rewrite a table as Parquet (every contract column as text), with extra typed columns."""
    path = snapshot / f"{table}.csv"
    names = path.read_text().splitlines()[0].split(",")
    data = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=False))
    for name, values in extra.items():
        data = data.append_column(name, values)
    pq.write_table(data, snapshot / f"{table}.parquet")
    path.unlink()


# --- headers -----------------------------------------------------------------------------


@pytest.mark.parametrize("second", ["status", " status", "status\t"])
def test_a_column_given_twice_is_one_error_naming_both_positions(snapshot: Path, tmp_path: Path,
                                                                 second: str) -> None:
    _edit(snapshot / "orders.csv",
          lambda lines: [lines[0] + f",{second}"] + [line + ",completed" for line in lines[1:]])
    with pytest.raises(BadHeaderError, match=r"orders\.csv: column 'status' is given twice in the "
                                             r"header \(columns 8 and 10\)"):
        load_snapshot(snapshot, quarantine_dir=tmp_path / "q")
    assert not (tmp_path / "q").exists()


def test_a_padded_key_header_loads_like_the_plain_one(snapshot: Path, tmp_path: Path) -> None:
    expected = load_snapshot(snapshot).snapshot["creators"]
    _edit(snapshot / "creators.csv", lambda lines: [" creator_id " + lines[0][10:], *lines[1:]])
    got = _load(snapshot, tmp_path).snapshot["creators"]
    pd.testing.assert_frame_equal(got, expected)


def test_a_padded_header_keeps_its_columns_values(snapshot: Path, tmp_path: Path) -> None:
    """A padded required ``status`` and optional ``currency`` used to load every row empty."""
    expected = load_snapshot(snapshot).snapshot["orders"]
    _edit(snapshot / "orders.csv", lambda lines: [
        lines[0].replace(",status,", ", status ,").replace(",currency,", ",\tcurrency,"),
        *lines[1:]])
    got = _load(snapshot, tmp_path).snapshot["orders"]
    pd.testing.assert_frame_equal(got, expected)
    assert got["status"].notna().all() and got["currency"].notna().all()


def test_a_header_column_without_a_name_is_an_error_naming_it(snapshot: Path) -> None:
    _edit(snapshot / "shops.csv", lambda lines: [line + ", " for line in lines])
    with pytest.raises(BadHeaderError, match=r"shops\.csv: header column 6 has no name"):
        load_snapshot(snapshot)


def test_a_header_column_of_the_reserved_prefix_is_an_error(snapshot: Path) -> None:
    _edit(snapshot / "shops.csv",
          lambda lines: [lines[0] + ",_ringwatch_reason"] + [line + ",x" for line in lines[1:]])
    with pytest.raises(BadHeaderError, match=r"shops\.csv: header column 6 '_ringwatch_reason' "
                                             r"uses the prefix _ringwatch_"):
        load_snapshot(snapshot)


def test_a_byte_order_mark_before_a_quoted_header_is_no_part_of_its_name(snapshot: Path,
                                                                         tmp_path: Path) -> None:
    expected = load_snapshot(snapshot).snapshot["shops"]
    path = snapshot / "shops.csv"
    path.write_bytes(b'\xef\xbb\xbf"shop_id"' + path.read_bytes()[len(b"shop_id"):])
    pd.testing.assert_frame_equal(_load(snapshot, tmp_path).snapshot["shops"], expected)


# --- rows --------------------------------------------------------------------------------


@pytest.mark.parametrize("events", ["99999999999999999999", "-9223372036854775809", "9" * 5000])
def test_an_integer_beyond_int64_is_quarantined_as_a_bad_number(snapshot: Path, tmp_path: Path,
                                                                events: str) -> None:
    _edit(snapshot / "identity_links.csv",
          lambda lines: [*lines[:2], lines[2] + events, *lines[3:]])
    result = _load(snapshot, tmp_path)
    summary = result.summary.table("identity_links")
    assert (summary.loaded, summary.reasons) == (4, {"bad_number": 1})
    [row] = _quarantine(tmp_path, "identity_links")
    assert row["events"] == events and row["_ringwatch_source_row"] == "2"
    assert row["_ringwatch_reason"].startswith("bad_number: events is beyond the 64-bit integer")


def test_a_signed_integer_loads(snapshot: Path, tmp_path: Path) -> None:
    _edit(snapshot / "identity_links.csv",
          lambda lines: [*lines[:2], lines[2] + "+5", *lines[3:]])
    links = _load(snapshot, tmp_path).snapshot["identity_links"]
    assert list(links["events"]) == [3, 5, 1, 2, 7]


def test_one_byte_that_is_not_utf8_quarantines_its_row_not_the_table(snapshot: Path,
                                                                     tmp_path: Path) -> None:
    path = snapshot / "orders.csv"
    path.write_bytes(path.read_bytes().replace(b"o3,b2,s1,,4.25,USD", b"o3,b2,s1,,4.25,U\xffD"))
    result = _load(snapshot, tmp_path)
    summary = result.summary.table("orders")
    assert (summary.read, summary.loaded, summary.reasons) == (5, 4, {"invalid_utf8": 1})
    assert "o3" not in set(result.snapshot["orders"]["order_id"])
    [row] = _quarantine(tmp_path, "orders")
    assert row["order_id"] == "o3" and row["currency"] == "U\\xffD"
    assert row["_ringwatch_reason"] == ("invalid_utf8: currency holds bytes that are not UTF-8: "
                                        "'U\\xffD'")
    assert row["_ringwatch_source_row"] == "3"


def test_a_malformed_row_holding_a_bad_byte_is_quarantined_with_its_text(snapshot: Path,
                                                                         tmp_path: Path) -> None:
    """pyarrow cannot even hand such a row to its invalid-row handler."""
    path = snapshot / "orders.csv"
    path.write_bytes(path.read_bytes().replace(b"o5,b3,s2,c4,99.99,USD,",
                                               b"o5,b3,s2,c4,99.99,\xfe,USD,"))
    result = _load(snapshot, tmp_path)
    assert result.summary.table("orders").reasons == {"malformed_row": 1}
    [row] = _quarantine(tmp_path, "orders")
    assert row["_ringwatch_raw_line"] == "o5,b3,s2,c4,99.99,\\xfe,USD,2026-02-03,completed,"
    assert row["_ringwatch_source_row"] == "5" and row["order_id"] == ""


def test_rows_after_a_malformed_row_keep_their_own_row_numbers(snapshot: Path,
                                                               tmp_path: Path) -> None:
    _edit(snapshot / "orders.csv", lambda lines: [
        *lines[:2], lines[2] + ",surplus", *lines[3:4], lines[4].replace("cancelled", "lost"),
        *lines[5:]])
    _load(snapshot, tmp_path)
    rows = {r["_ringwatch_source_row"]: r for r in _quarantine(tmp_path, "orders")}
    assert set(rows) == {"2", "4"}
    assert rows["4"]["order_id"] == "o4" and rows["4"]["status"] == "lost"


def test_a_value_over_the_size_limit_quarantines_its_row_not_the_table(snapshot: Path,
                                                                       tmp_path: Path) -> None:
    huge = "x" * (3 * MAX_VALUE_BYTES)  # longer than pyarrow's block: it used to fail the table
    _edit(snapshot / "creators.csv", lambda lines: [*lines[:3], lines[3] + huge, *lines[4:]])
    result = _load(snapshot, tmp_path)
    summary = result.summary.table("creators")
    assert (summary.loaded, summary.reasons) == (3, {"oversized_value": 1})
    [row] = _quarantine(tmp_path, "creators")
    assert row["creator_id"] == "c3" and row["note"] == "third" + huge
    assert row["_ringwatch_reason"] == (f"oversized_value: note is {len(huge) + 5} bytes long, "
                                        f"more than the {MAX_VALUE_BYTES:,} a value may hold")


def test_a_value_under_the_size_limit_loads_even_past_pyarrows_block(snapshot: Path,
                                                                     tmp_path: Path) -> None:
    """Many long values on one row make it longer than a read block, but each is allowed."""
    long = "y" * (MAX_VALUE_BYTES - 10)
    _edit(snapshot / "creators.csv", lambda lines: [
        lines[0] + ",a,b", *(line + f",{long},{long}" for line in lines[1:])])
    creators = _load(snapshot, tmp_path).snapshot["creators"]
    assert len(creators) == 4 and (creators["b"] == long).all()


def test_the_allowlists_own_reason_column_is_kept_in_its_quarantine(snapshot: Path,
                                                                    tmp_path: Path) -> None:
    _edit(snapshot / "allowlist.csv",
          lambda lines: [*lines[:2], lines[2].replace("device", "fax")])
    _load(snapshot, tmp_path)
    [row] = _quarantine(tmp_path, "allowlist")
    assert row["reason"] == "agency studio phone"
    assert row["_ringwatch_reason"].startswith("out_of_domain: identifier_type must be one of")


def test_an_input_column_named_source_row_is_kept_in_its_quarantine(snapshot: Path,
                                                                    tmp_path: Path) -> None:
    _edit(snapshot / "orders.csv", lambda lines: [
        lines[0] + ",source_row,reason,raw_line",
        *(line.replace("cancelled", "lost") + f",theirs{i},why{i},text{i}"
          for i, line in enumerate(lines[1:], start=1))])
    result = _load(snapshot, tmp_path)
    assert result.snapshot["orders"]["source_row"].tolist() == ["theirs1", "theirs2", "theirs3",
                                                                "theirs5"]
    [row] = _quarantine(tmp_path, "orders")
    assert (row["source_row"], row["reason"], row["raw_line"]) == ("theirs4", "why4", "text4")
    assert row["_ringwatch_source_row"] == "4"


def test_every_quarantine_file_has_the_same_loader_columns(snapshot: Path, tmp_path: Path) -> None:
    _edit(snapshot / "creators.csv", lambda lines: [*lines[:2], lines[2].replace("2026", "x")])
    _edit(snapshot / "violations.csv", lambda lines: [*lines[:2], lines[2].replace("low", "?")])
    _load(snapshot, tmp_path)
    for table in ("creators", "violations"):
        header = (tmp_path / "q" / f"{table}.csv").read_text().splitlines()[0].split(",")
        assert header[-3:] == ["_ringwatch_source_row", "_ringwatch_reason", "_ringwatch_raw_line"]


# --- gzip and Parquet --------------------------------------------------------------------


def _gzip(snapshot: Path, table: str, *, blank_lines: int = 0) -> Path:
    path = snapshot / f"{table}.csv"
    target = snapshot / f"{table}.csv.gz"
    target.write_bytes(gzip.compress(path.read_bytes() + b"\n" * blank_lines))
    path.unlink()
    return target


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("damage", ["truncated", "corrupt", "not gzip", "bad checksum"])
def test_a_damaged_gzip_file_is_one_error_naming_it(snapshot: Path, tmp_path: Path,
                                                   damage: str, size: str) -> None:
    """Small: the header read meets the damage (EOFError, zlib.error used to escape); large:
    only the whole read does."""
    path = _gzip(snapshot, "orders", blank_lines=0 if size == "small" else 200_000)
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[:len(data) // 3]
    elif damage == "corrupt":
        data[20:28] = b"\x00\xff" * 4
    elif damage == "not gzip":
        data = bytearray(b"order_id,amount\no1,3\n")
    else:
        data[-8] ^= 0xFF  # the CRC-32 of the trailer
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableFileError, match=r"orders\.csv\.gz: "):
        load_snapshot(snapshot, quarantine_dir=tmp_path / "q")
    assert not (tmp_path / "q").exists()


def test_an_intact_gzip_file_loads(snapshot: Path, tmp_path: Path) -> None:
    _gzip(snapshot, "orders", blank_lines=200_000)
    summary = _load(snapshot, tmp_path).summary.table("orders")
    assert (summary.read, summary.loaded) == (5, 5)


def test_a_truncated_parquet_file_is_one_error_naming_it(snapshot: Path) -> None:
    _to_parquet(snapshot, "shops")
    path = snapshot / "shops.parquet"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(UnreadableFileError, match=r"shops\.parquet: cannot read the header"):
        load_snapshot(snapshot)


@pytest.mark.parametrize("extra", [
    pa.array([{"a": 1}] * 3, pa.struct([("a", pa.int64())])),
    pa.array([[1, 2], [], None], pa.list_(pa.int64())),
    pa.array([[("k", 1)]] * 3, pa.map_(pa.string(), pa.int64())),
    pa.array([b"\xff\x00", b"ok", None], pa.binary()),
], ids=["struct", "list", "map", "binary"])
def test_an_extra_column_with_no_text_form_is_left_out_with_a_warning(snapshot: Path,
                                                                      tmp_path: Path,
                                                                      extra: pa.Array) -> None:
    _to_parquet(snapshot, "shops", blob=extra)
    result = _load(snapshot, tmp_path)
    shops = result.snapshot["shops"]
    assert len(shops) == 3 and "blob" not in shops.columns
    [warning] = result.summary.warnings
    assert warning.startswith("shops: shops.parquet: extra column 'blob' holds ")
    assert "not loaded" in warning
    assert result.summary.as_dict()["tables"][1]["notes"] == [warning.removeprefix("shops: ")]


def test_an_extra_binary_column_of_utf8_text_loads_as_text(snapshot: Path, tmp_path: Path) -> None:
    _to_parquet(snapshot, "shops", blob=pa.array([b"a", "é".encode(), None], pa.binary()))
    result = _load(snapshot, tmp_path)
    assert result.snapshot["shops"]["blob"].fillna("-").tolist() == ["a", "é", "-"]
    assert result.summary.warnings == []


def test_a_contract_column_of_a_nested_type_rejects_the_table(snapshot: Path,
                                                              tmp_path: Path) -> None:
    _to_parquet(snapshot, "shops")
    table = pq.read_table(snapshot / "shops.parquet")
    index = table.column_names.index("seller_id")
    nested = pa.array([{"id": "sel1"}] * 3, pa.struct([("id", pa.string())]))
    pq.write_table(table.set_column(index, "seller_id", nested), snapshot / "shops.parquet")
    with pytest.raises(ColumnTypeError, match=r"shops\.parquet: column seller_id holds nested "
                                              r"struct<id: string> values, not the id the "
                                              r"contract needs \(table shops rejected\)"):
        load_snapshot(snapshot, quarantine_dir=tmp_path / "q")
    assert not (tmp_path / "q").exists()


def test_a_contract_column_of_binary_quarantines_the_rows_that_are_not_utf8(
        snapshot: Path, tmp_path: Path) -> None:
    _to_parquet(snapshot, "shops")
    table = pq.read_table(snapshot / "shops.parquet")
    index = table.column_names.index("category")
    binary = pa.array([b"beauty", b"to\xffys", b"toys"], pa.binary())
    pq.write_table(table.set_column(index, "category", binary), snapshot / "shops.parquet")
    result = _load(snapshot, tmp_path)
    assert result.snapshot["shops"]["category"].tolist() == ["beauty", "toys"]
    [row] = _quarantine(tmp_path, "shops")
    assert row["shop_id"] == "s2" and row["category"] == "to\\xffys"
    assert row["_ringwatch_reason"].startswith("invalid_utf8: category holds bytes")


def test_a_categorical_parquet_column_loads_as_text(snapshot: Path, tmp_path: Path) -> None:
    shops = pd.read_csv(snapshot / "shops.csv", dtype=str, keep_default_na=False)
    shops["category"] = shops["category"].astype("category")
    shops.to_parquet(snapshot / "shops.parquet")
    (snapshot / "shops.csv").unlink()
    loaded = _load(snapshot, tmp_path).snapshot["shops"]
    assert loaded["category"].tolist() == ["beauty", "toys", "toys"]


def test_typed_parquet_numbers_and_times_never_wrap_or_truncate(snapshot: Path,
                                                                tmp_path: Path) -> None:
    _to_parquet(snapshot, "identity_links")
    table = pq.read_table(snapshot / "identity_links.parquet")
    events = pa.array([3, 2**64 - 1, 1, 2, 7], pa.uint64())
    table = table.set_column(table.column_names.index("events"), "events", events)
    first_seen = pa.array([1, 2, 3, 4, 2**62], pa.timestamp("ms"))  # the last is beyond us
    table = table.set_column(table.column_names.index("first_seen"), "first_seen", first_seen)
    last_seen = pa.array([1_000_000_001, None, None, None, 5], pa.timestamp("ns"))
    table = table.set_column(table.column_names.index("last_seen"), "last_seen", last_seen)
    pq.write_table(table, snapshot / "identity_links.parquet")
    result = _load(snapshot, tmp_path)
    links = result.snapshot["identity_links"]
    assert result.summary.table("identity_links").reasons == {"bad_number": 1,
                                                              "bad_timestamp": 1}
    assert links["events"].tolist() == [3, 1, 2]
    assert links["last_seen"].iloc[0] == pd.Timestamp("1970-01-01T00:00:01.000000Z")


def test_a_fractional_parquet_float_is_not_a_whole_number(snapshot: Path, tmp_path: Path) -> None:
    _to_parquet(snapshot, "identity_links")
    table = pq.read_table(snapshot / "identity_links.parquet")
    events = pa.array([3.0, 1.5, float("nan"), None, 1e30])
    pq.write_table(table.set_column(table.column_names.index("events"), "events", events),
                   snapshot / "identity_links.parquet")
    result = _load(snapshot, tmp_path)
    assert result.summary.table("identity_links").reasons == {"bad_number": 3}
    assert result.snapshot["identity_links"]["events"].tolist() == [3, 1]  # null: the default


# --- the command line --------------------------------------------------------------------


def _cli_load(snapshot: Path, tmp_path: Path) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["load", "--data", str(snapshot), "--store",
                                 str(tmp_path / "store"), "--quarantine", str(tmp_path / "q")])
    return result.exit_code, [line for line in result.output.splitlines()
                              if line.startswith("ringwatch: error")]


@pytest.mark.parametrize(("damage", "named"), [
    ("duplicate column", "column 'status' is given twice"),
    ("corrupt gzip", "orders.csv.gz"),
    ("nested contract column", "column order_id holds nested"),
])
def test_the_cli_says_what_is_wrong_in_one_line_and_exits_2(snapshot: Path, tmp_path: Path,
                                                            damage: str, named: str) -> None:
    if damage == "duplicate column":
        _edit(snapshot / "orders.csv",
              lambda lines: [lines[0] + ",status"] + [line + ",x" for line in lines[1:]])
    elif damage == "corrupt gzip":
        path = _gzip(snapshot, "orders")
        path.write_bytes(path.read_bytes()[:60])  # the header read meets the end: EOFError
    else:
        _to_parquet(snapshot, "orders")
        table = pq.read_table(snapshot / "orders.parquet")
        nested = pa.array([["o"]] * 5, pa.list_(pa.string()))
        pq.write_table(table.set_column(0, "order_id", nested), snapshot / "orders.parquet")
    code, errors = _cli_load(snapshot, tmp_path)
    assert code == 2
    assert len(errors) == 1 and named in errors[0] and "orders." in errors[0]


def test_the_cli_loads_damaged_rows_into_quarantine_and_exits_0(snapshot: Path,
                                                               tmp_path: Path) -> None:
    path = snapshot / "orders.csv"
    path.write_bytes(path.read_bytes().replace(b"USD,2026-02-02", b"US\xc3,2026-02-02"))
    _edit(snapshot / "creators.csv", lambda lines: [*lines[:2], lines[2] + "z" * (2 << 20)])
    _to_parquet(snapshot, "shops", blob=pa.array([[1]] * 3, pa.list_(pa.int64())))
    result = runner.invoke(app, ["load", "--data", str(snapshot), "--store",
                                 str(tmp_path / "store"), "--quarantine", str(tmp_path / "q")])
    assert result.exit_code == 0, result.output
    assert "extra column 'blob'" in result.output
    assert "invalid_utf8" in {r["_ringwatch_reason"].split(":")[0]
                              for r in _quarantine(tmp_path, "orders")}
    assert _quarantine(tmp_path, "creators")[0]["_ringwatch_reason"].startswith("oversized_value")


def test_a_snapshot_error_is_what_the_cli_catches() -> None:
    """Every error above is a SnapshotError: the one kind the CLI turns into exit 2."""
    assert issubclass(BadHeaderError, SnapshotError)
    assert issubclass(ColumnTypeError, SnapshotError)
