"""Property-based fuzzing of the loader over damaged snapshots (hypothesis).

Each example takes the small clean snapshot, damages one to three of its tables
the way exports arrive damaged (padded, repeated or missing header columns,
values of the wrong type or out of range, empty or huge values, rows with a
field too many or too few, stray bytes, a cut-off file, gzip that is
truncated or corrupt, Parquet with typed, nested or binary columns) and loads
it. Whatever the damage:

- nothing but a ``SnapshotError`` escapes ``load_snapshot``, and the command
  line exits 0 or 2 (with one error line), never 1;
- every table reconciles: read = loaded + quarantined, and read is every
  record of the file (no row vanishes);
- no loaded row lacks a required value or holds one outside its domain;
- the quarantine file holds every quarantined row, with the values the file
  gave it;
- every CSV read path (pyarrow's, and the ``csv`` module's last resort) reads
  a damaged file alike.

Bounded for CI (``RINGWATCH_FUZZ_EXAMPLES``, default 150; derandomised, so a
CI run is repeatable; set ``RINGWATCH_FUZZ_RANDOM=1`` to explore new examples).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ringwatch.api.cli import app
from ringwatch.loaders import LoadResult, SnapshotError, load_snapshot, read
from ringwatch.loaders.schema import MAX_VALUE_BYTES, QUARANTINE_COLUMNS, RAW_LINE
from ringwatch.tables import TABLES, TABLES_BY_NAME, ColumnType

from ..snapshots import CLEAN_TABLES

EXAMPLES = int(os.environ.get("RINGWATCH_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=os.environ.get("RINGWATCH_FUZZ_RANDOM") != "1",
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Values that have broken loaders: beyond int64, not finite, signed, hex, impossible dates,
#: quotes and line breaks, NUL, blanks, words of the wrong domain.
SPECIAL_VALUES = [
    "99999999999999999999", "-9223372036854775809", "9223372036854775807", "1e400", "-1e400",
    "+5", "-0", "0", "1.5", ".5", "5.", "nan", "inf", "-inf", "0x10", "1_000", "1,5",
    "", " ", "\t", "  x  ", "2026-13-45", "2026-02-30", "9999-12-31T23:59:59Z", "0001-01-01",
    "10000-01-01", "2026-01-01T25:00", "2026-01-01T00:00:00+25:00", "yesterday", '"', 'a"b',
    '"x', "\n", "\r", "\r\n", ",", "\x00", "é", "\u2028", "\ufeff", "creator", "ROBOT",
    "Completed", "paid", "high", "c1", "s1", "o1", "sel1",
]
VALUES = st.one_of(
    st.sampled_from(SPECIAL_VALUES),
    st.text(max_size=10),
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(repr),
)
INDEX = st.integers(0, 10**6)  # taken modulo the size of what it indexes


@dataclass
class Table:
    """One table being damaged: its header and rows, then how it is written and broken."""

    name: str
    header: list[str]
    rows: list[list[str]]
    encoding: str = "csv"
    byte_damage: list[tuple[Any, ...]] = field(default_factory=list)


def _clean(name: str) -> Table:
    header, *rows = list(csv.reader(io.StringIO(CLEAN_TABLES[name])))
    return Table(name, header, rows)


NUMBERS = st.one_of(st.sampled_from(SPECIAL_VALUES[:17]), st.integers(-(2**80), 2**80).map(str))
BAD_BYTES = st.one_of(st.binary(min_size=1, max_size=4),
                      st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\x00", b"\xed\xa0\x80"]))


def _weighted(arguments: dict[str, st.SearchStrategy], weights: dict[str, int]) -> st.SearchStrategy:
    """Damage as (kind, *arguments), each kind drawn as often as its weight says."""
    kinds = [kind for kind, weight in weights.items() for _ in range(weight)]
    return st.sampled_from(kinds).flatmap(
        lambda kind: arguments[kind].map(lambda args: (kind, *args)))


#: Damage to the rows and header, before the table is written. Value damage is the most
#: common, so that most examples load and their quarantine is checked.
ROW_DAMAGE = _weighted({
    "pad_header": st.tuples(INDEX, st.sampled_from([" ", "\t", "  ", " \t "])),
    "duplicate_column": st.tuples(INDEX, st.sampled_from(["", " "])),
    "drop_column": st.tuples(INDEX, st.sampled_from(["optional"] * 3 + ["any"])),
    "set_value": st.tuples(INDEX, INDEX, VALUES),
    "set_number": st.tuples(INDEX, INDEX, NUMBERS),
    "huge_value": st.tuples(INDEX, INDEX, st.integers(1, 3)),
    "surplus_field": st.tuples(INDEX),
    "missing_field": st.tuples(INDEX),
    "repeat_row": st.tuples(INDEX),
    "extra_column": st.tuples(st.sampled_from(["note", "source_row", "reason"]), VALUES),
}, {"pad_header": 2, "duplicate_column": 1, "drop_column": 2, "set_value": 6, "set_number": 4,
    "huge_value": 1, "surplus_field": 2, "missing_field": 2, "repeat_row": 2, "extra_column": 2})
#: Damage to a CSV file's bytes, after it is written.
BYTE_DAMAGE = _weighted({
    "insert_bytes": st.tuples(INDEX, BAD_BYTES),
    "bytes_in_a_row": st.tuples(INDEX, BAD_BYTES),
    "truncate": st.tuples(INDEX),
    "blank_lines": st.tuples(INDEX),
    "crlf": st.tuples(),
    "bom": st.tuples(),
}, {"insert_bytes": 1, "bytes_in_a_row": 4, "truncate": 2, "blank_lines": 1, "crlf": 1, "bom": 1})
ENCODINGS = st.sampled_from([
    "csv", "csv", "csv", "gz", "gz_truncated", "gz_corrupt",
    "parquet", "parquet_large", "parquet_typed", "parquet_nested", "parquet_binary",
])


@st.composite
def damaged_tables(draw: st.DrawFn) -> list[Table]:
    """One to three tables of the clean snapshot, each damaged one to three ways."""
    names = draw(st.lists(st.sampled_from(sorted(CLEAN_TABLES)), min_size=1, max_size=3,
                          unique=True))
    tables = []
    for name in names:
        table = _clean(name)
        for damage in draw(st.lists(ROW_DAMAGE, max_size=3)):
            _damage_rows(table, damage)
        table.encoding = draw(ENCODINGS)
        if table.encoding in ("csv", "gz"):
            table.byte_damage = draw(st.lists(BYTE_DAMAGE, max_size=2))
        tables.append(table)
    return tables


def _damage_rows(table: Table, damage: tuple[Any, ...]) -> None:
    kind, *args = damage
    width = len(table.header)
    if kind == "pad_header":
        i = args[0] % width
        table.header[i] = args[1] + table.header[i] + args[1]
    elif kind == "duplicate_column":
        i = args[0] % width
        table.header.append(args[1] + table.header[i].strip())
        for row in table.rows:
            row.append(row[i] if i < len(row) else "")
    elif kind == "drop_column":
        required = set(TABLES_BY_NAME[table.name].required_columns)
        droppable = [i for i, name in enumerate(table.header)
                     if args[1] == "any" or name.strip() not in required]
        if droppable and width > 1:
            i = droppable[args[0] % len(droppable)]
            del table.header[i]
            for row in table.rows:
                del row[i:i + 1]
    elif kind in ("set_value", "huge_value") and table.rows:
        row = table.rows[args[0] % len(table.rows)]
        if row:
            value = args[2] if kind == "set_value" else "h" * (MAX_VALUE_BYTES + args[2])
            row[args[1] % len(row)] = value
    elif kind == "set_number" and table.rows:
        spec = TABLES_BY_NAME[table.name]
        numeric = [i for i, name in enumerate(table.header)
                   if name.strip() in {c.name for c in spec.columns
                                       if c.type in (ColumnType.NUMBER, ColumnType.INTEGER)}]
        row = table.rows[args[0] % len(table.rows)]
        numeric = [i for i in numeric if i < len(row)]
        if numeric:
            row[numeric[args[1] % len(numeric)]] = args[2]
    elif kind == "surplus_field" and table.rows:
        table.rows[args[0] % len(table.rows)].append("surplus")
    elif kind == "missing_field" and table.rows:
        row = table.rows[args[0] % len(table.rows)]
        del row[-1:]
    elif kind == "repeat_row" and table.rows:
        table.rows.append(list(table.rows[args[0] % len(table.rows)]))
    elif kind == "extra_column":
        table.header.append(args[0])
        for row in table.rows:
            row.append(args[1])


def _csv_bytes(table: Table) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([table.header, *table.rows])
    data = out.getvalue().encode("utf-8")
    for kind, *args in table.byte_damage:
        if kind == "insert_bytes":
            at = args[0] % (len(data) + 1)
            data = data[:at] + args[1] + data[at:]
        elif kind == "bytes_in_a_row":  # past the header
            rows_start = data.find(b"\n") + 1
            if rows_start:
                at = rows_start + args[0] % (len(data) - rows_start + 1)
                data = data[:at] + args[1] + data[at:]
        elif kind == "truncate":
            data = data[:args[0] % (len(data) + 1)]
        elif kind == "blank_lines":
            lines = data.split(b"\n")
            at = args[0] % (len(lines) + 1)
            data = b"\n".join([*lines[:at], b"", b"", *lines[at:]])
        elif kind == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif kind == "bom":
            data = b"\xef\xbb\xbf" + data
    return data


def _write(directory: Path, table: Table) -> None:
    (directory / f"{table.name}.csv").unlink()
    if table.encoding.startswith("parquet"):
        pq.write_table(_arrow(table), directory / f"{table.name}.parquet")
        return
    data = _csv_bytes(table)
    if table.encoding == "csv":
        (directory / f"{table.name}.csv").write_bytes(data)
        return
    packed = bytearray(gzip.compress(data))
    if table.encoding == "gz_truncated":
        packed = packed[:max(1, len(packed) // 2)]
    elif table.encoding == "gz_corrupt":
        packed[len(packed) // 2] ^= 0x5A
    (directory / f"{table.name}.csv.gz").write_bytes(bytes(packed))


def _arrow(table: Table) -> pa.Table:
    """The table as Arrow: text columns (rows made even), typed or with a nested or binary extra."""
    width = len(table.header)
    rows = [(row + [""] * width)[:width] for row in table.rows]
    text = pa.large_string() if table.encoding == "parquet_large" else pa.string()  # as pandas
    columns = [pa.array([row[i] for row in rows], text) for i in range(width)]
    spec = TABLES_BY_NAME[table.name]
    if table.encoding == "parquet_typed":
        columns = [_typed(name.strip(), values, spec) for name, values in
                   zip(table.header, columns, strict=True)]
    n = len(rows)
    names = list(table.header)
    if table.encoding == "parquet_nested":
        names.append("nested")
        columns.append(pa.array([{"a": i, "b": [i]} for i in range(n)],
                                pa.struct([("a", pa.int64()), ("b", pa.list_(pa.int64()))])))
    elif table.encoding == "parquet_binary":
        names.append("blob")
        columns.append(pa.array([bytes([0xFF, i % 256]) for i in range(n)], pa.binary()))
    return pa.Table.from_arrays(columns, names=names)


def _typed(name: str, values: pa.Array, spec: Any) -> pa.Array:
    """A contract column's text as the type a Parquet writer would give it, where it parses."""
    column_types = {c.name: c.type for c in spec.columns}
    column_type = column_types.get(name)
    try:
        if column_type is ColumnType.INTEGER:
            return pc.cast(pc.if_else(pc.equal(values, ""), None, values), pa.int64())
        if column_type is ColumnType.NUMBER:
            return pc.cast(pc.if_else(pc.equal(values, ""), None, values), pa.float64())
        if column_type is ColumnType.TIMESTAMP:
            parsed = pd.to_datetime(pd.Series(values.to_pylist()), errors="coerce", utc=True,
                                    format="ISO8601")
            return pa.array(parsed, pa.timestamp("ns", tz="UTC"), from_pandas=True)
    except (pa.ArrowInvalid, ValueError, OverflowError):
        pass
    return values


@contextmanager
def _damaged_snapshot(tables: list[Table]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "snapshot"
        directory.mkdir()
        for name, text in CLEAN_TABLES.items():
            (directory / f"{name}.csv").write_text(text)
        for table in tables:
            _write(directory, table)
        yield directory


# --- the oracle: what the file holds, read independently of the loader -------------------


@contextmanager
def _long_fields() -> Iterator[None]:
    limit = csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def _escaped(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _records(path: Path) -> list[list[str]]:
    """The data records of a CSV file as the csv module reads them (header and blank lines out)."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    with _long_fields():
        records = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    return [[_escaped(v) for v in r] for r in records[1:]]


def _quarantine_rows(path: Path) -> list[dict[str, str]]:
    with _long_fields():
        return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def _check_load(result: LoadResult, snapshot: Path, quarantine: Path) -> None:
    summary = result.summary
    assert summary.reconciles, summary
    for spec in TABLES:
        t = summary.table(spec.name)
        assert t.read == t.loaded + t.quarantined, t
        frame = result.snapshot[spec.name]
        assert len(frame) == t.loaded
        for column in spec.columns:
            values = frame[column.name]
            if column.required:
                assert values.notna().all(), (spec.name, column.name)
                if column.type in (ColumnType.ID, ColumnType.TEXT):
                    assert (values.astype(str).str.strip() != "").all(), (spec.name, column.name)
            if column.domain():
                assert values.dropna().isin(column.domain()).all(), (spec.name, column.name)
            if column.minimum is not None:
                assert (values.dropna() >= column.minimum).all(), (spec.name, column.name)
        if t.file is None:
            continue
        path = snapshot / t.file
        if not path.name.endswith(".parquet"):
            records = _records(path)
            assert t.read == len(records), (t, len(records))  # no record vanished
        else:
            records = None
            assert t.read == pq.read_metadata(path).num_rows
        _check_quarantine(spec.name, t.quarantined, quarantine / f"{spec.name}.csv", records,
                          list(frame.columns))


def _check_quarantine(name: str, quarantined: int, path: Path, records: list[list[str]] | None,
                      loaded_columns: list[str]) -> None:
    if not quarantined:
        assert not path.exists()
        return
    rows = _quarantine_rows(path)
    assert len(rows) == quarantined
    header = list(rows[0])
    assert tuple(header[-3:]) == QUARANTINE_COLUMNS
    given = header[:-3]
    seen = set()
    for row in rows:
        assert row["_ringwatch_reason"].split(":")[0], row
        number = int(row["_ringwatch_source_row"])
        assert number not in seen
        seen.add(number)
        if records is None:
            continue
        record = records[number - 1]
        if row[RAW_LINE]:
            with _long_fields():
                [parsed] = list(csv.reader(io.StringIO(row[RAW_LINE], newline="")))
            assert parsed == record, (name, number)
        else:
            assert [row[c] for c in given] == record, (name, number)


@FUZZ
@given(damaged_tables())
def test_the_loader_quarantines_or_refuses_and_never_loses_a_row(tables: list[Table]) -> None:
    with _damaged_snapshot(tables) as snapshot:
        quarantine = snapshot.parent / "q"
        try:
            result = load_snapshot(snapshot, quarantine_dir=quarantine)
        except SnapshotError as error:
            event(f"refused: {type(error).__name__}")
            assert str(error) and str(snapshot) in str(error)
            assert not quarantine.exists()
            return
        for code in sorted({code for t in result.summary.tables for code in t.reasons}):
            event(f"quarantined: {code}")
        _check_load(result, snapshot, quarantine)


@settings(FUZZ, max_examples=max(10, EXAMPLES // 6))
@given(damaged_tables())
def test_the_command_line_exits_0_or_2_with_one_line(tables: list[Table]) -> None:
    with _damaged_snapshot(tables) as snapshot:
        result = CliRunner().invoke(app, [
            "--quiet", "load", "--data", str(snapshot), "--store", str(snapshot.parent / "store"),
            "--quarantine", str(snapshot.parent / "q")])
        errors = [line for line in result.output.splitlines() if line.startswith("ringwatch: error")]
        assert result.exit_code in (0, 2), result.output
        assert len(errors) == (result.exit_code == 2), result.output


def _read_by_every_path(path: Path) -> list[tuple[Any, ...]]:
    """The file as each CSV read path gives it: the usual one, and record by record."""
    results = []
    for forced in (False, True):
        with contextlib.ExitStack() as stack:
            if forced:  # as when pyarrow refuses the file for a reason no test foresaw
                stack.enter_context(mock.patch.object(read, "_read_csv_fast", return_value=None))
                stack.enter_context(mock.patch.object(read, "_read_csv_numbered",
                                                      return_value=None))
            try:
                raw = read.read_table(path)
            except SnapshotError as error:
                results.append((str(error),))
                continue
            results.append((raw.table.to_pylist(),
                            None if raw.row_reasons is None else raw.row_reasons.to_pylist(),
                            None if raw.raw_lines is None else raw.raw_lines.to_pylist()))
    return results


@FUZZ
@given(st.lists(ROW_DAMAGE, max_size=3), st.lists(BYTE_DAMAGE, min_size=1, max_size=3))
def test_every_csv_read_path_reads_a_damaged_file_alike(row_damage: list[tuple[Any, ...]],
                                                        byte_damage: list[tuple[Any, ...]]) -> None:
    table = _clean("orders")
    for damage in row_damage:
        _damage_rows(table, damage)
    table.byte_damage = byte_damage
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.csv"
        path.write_bytes(_csv_bytes(table))
        usual, by_record = _read_by_every_path(path)
        assert usual == by_record
