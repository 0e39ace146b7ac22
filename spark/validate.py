"""Reading and validating a snapshot with Spark: the loader's rules, reasons, quarantine and reconcile.

The rules are the contract's (:data:`ringwatch.tables.TABLES`: types, required
columns, domains, bounds, references, keys), the patterns and limits the
loader's (:mod:`ringwatch.loaders.validate`, :mod:`ringwatch.loaders.schema`),
and the shape check is the loader's own :func:`~ringwatch.loaders.check_shape`
(headers only). What is Spark's here is how the checks run: each is a column
expression, a row keeps the first reason it failed for (``coalesce`` in the
loader's order of checks), references are left joins against the ids that
loaded in the referenced table, and repeated keys a window over the key
ordered by source row (first good row wins). No Python runs per row.

Two things stay on the driver, both small or rare:

- the quarantined rows are collected and written with the loader's
  :func:`~ringwatch.loaders.snapshot.write_quarantine` (same files, same columns);
- a CSV file with a record Spark cannot split into the header's columns, or a
  byte that is not UTF-8, is read by the loader's reader instead
  (:func:`~ringwatch.loaders.read.read_table`, which numbers such records and
  keeps their text), as the loader itself re-reads such a file its slow way.

Known differences, none met by a snapshot the generator or the loader tests
write: Spark's ISO-8601 and number casts are not Arrow's for exotic but
well-shaped text (an offset of ``+05`` without minutes, an hour with no
minutes), and a typed Parquet column is checked for emptiness and integer
wholeness but not for Arrow's out-of-range timestamp units.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ringwatch.domain import QuarantineCode as Code
from ringwatch.domain import reason_codes
from ringwatch.loaders import check_shape
from ringwatch.loaders.read import read_header, read_table
from ringwatch.loaders.schema import MAX_VALUE_BYTES, RAW_LINE, REASON, SOURCE_ROW
from ringwatch.loaders.snapshot import LoadSummary, TableSummary, write_quarantine
from ringwatch.loaders.validate import (
    _BARE_DATE,
    _INTEGER,
    _ISO_8601,
    _NUMBER,
    _VALUE_SHOWN,
    ValidatedTable,
)
from ringwatch.tables import TABLES, TIMESTAMP_TYPE, Column, ColumnType, Snapshot, TableSpec

from .tables import spark_schema

if TYPE_CHECKING:
    from pyspark.sql import Column as SparkColumn
    from pyspark.sql import DataFrame, SparkSession

#: Internal columns while a table is checked (the reserved prefix keeps them off any input name).
_ROW = SOURCE_ROW
_CORRUPT = "_ringwatch_spark_corrupt"
#: A null marker no export writes, so that an empty CSV field reads as ``""`` (as the loader reads it).
_NO_NULL = "\u0000_ringwatch_no_null\u0000"
_TYPES = {ColumnType.TIMESTAMP: "timestamp", ColumnType.NUMBER: "double",
          ColumnType.INTEGER: "bigint"}


@dataclass
class SparkLoad:
    """A snapshot validated on Spark: the good rows per table (typed, lazy) and the reconcile."""

    tables: dict[str, DataFrame]
    quarantine: dict[str, pd.DataFrame]
    summary: LoadSummary


def load_snapshot_on_spark(spark: SparkSession, snapshot_dir: Path | str, *,
                           quarantine_dir: Path | str | None = None) -> SparkLoad:
    """Validate ``snapshot_dir`` on Spark as :func:`ringwatch.loaders.load_snapshot` does.

    Raises the loader's :class:`~ringwatch.loaders.SnapshotError` for an
    unusable snapshot before any row is read; writes ``quarantine_dir/TABLE.csv``
    for each table with bad rows (and removes stale ones), as the loader does.
    The good rows stay in Spark, cached: the caller decides where they go.
    """
    snapshot_dir = Path(snapshot_dir)
    files = check_shape(snapshot_dir)
    good: dict[str, DataFrame] = {}
    quarantined: dict[str, pd.DataFrame] = {}
    summaries: list[TableSummary] = []
    for spec in TABLES:
        path = files[spec.name]
        if path is None:
            good[spec.name] = spark.createDataFrame([], spark_schema(spec))
            quarantined[spec.name] = pd.DataFrame(columns=[SOURCE_ROW, REASON, RAW_LINE])
            summaries.append(TableSummary(spec.name, None, 0, 0, 0))
            continue
        raw = _read_raw(spark, path)
        checked = _check(raw, spec, good).cache()
        ok = checked.where(_col(REASON).isNull())
        good[spec.name] = ok.select(*_good_columns(spec, raw)).cache()
        bad = checked.where(_col(REASON).isNotNull()).select(
            *[c for c in raw.columns if c not in (_ROW, _CORRUPT, RAW_LINE, REASON)], _ROW, REASON,
            RAW_LINE).orderBy(_ROW)
        quarantine = bad.toPandas()
        read = checked.count()
        loaded = good[spec.name].count()
        checked.unpersist()
        codes = reason_codes(quarantine[REASON]) if len(quarantine) else None
        reasons = {str(k): int(v) for k, v in codes.value_counts().items()} if codes is not None else {}
        quarantined[spec.name] = quarantine
        summaries.append(TableSummary(spec.name, path.name, read, loaded, len(quarantine), reasons))
    if quarantine_dir is not None:
        write_quarantine({name: ValidatedTable(name, pd.DataFrame(), frame, 0)
                          for name, frame in quarantined.items()}, Path(quarantine_dir))
    return SparkLoad(good, quarantined, LoadSummary(str(snapshot_dir), tuple(summaries)))


def _col(name: str) -> SparkColumn:
    from pyspark.sql import functions as F

    return F.col(name)


# --- reading -----------------------------------------------------------------------------------


def _read_raw(spark: SparkSession, path: Path) -> DataFrame:
    """A table file as text columns (Parquet: as stored), its 1-based source row and raw line.

    Returns the input columns, ``_ringwatch_source_row``, ``_ringwatch_raw_line``
    (null unless the record could not be split) and ``_ringwatch_reason`` (the
    read's own reason, ``malformed_row`` or ``invalid_utf8``, else null).
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    names = list(read_header(path).names)
    if path.name.endswith(".parquet"):
        frame = spark.read.parquet(str(path))
        frame = frame.toDF(*names)
        return _numbered(frame).withColumn(RAW_LINE, F.lit(None).cast("string")) \
            .withColumn(REASON, F.lit(None).cast("string"))
    schema = T.StructType([T.StructField(n, T.StringType()) for n in names]
                          + [T.StructField(_CORRUPT, T.StringType())])
    frame = (spark.read.schema(schema)
             .options(header=True, enforceSchema=True, mode="PERMISSIVE",
                      columnNameOfCorruptRecord=_CORRUPT, nullValue=_NO_NULL, emptyValue="",
                      encoding="UTF-8")
             .csv(str(path)))
    damaged = frame.where(F.col(_CORRUPT).isNotNull() | F.exists(
        F.array(*[F.col(n) for n in names]), lambda v: v.contains("\ufffd"))).limit(1).count()
    if damaged:  # the loader's reader numbers damaged records and keeps their text
        return _from_loader(spark, path)
    # Spark reads an empty unquoted field as null; the loader's CSV text is never null.
    frame = frame.select(*[F.coalesce(F.col(n), F.lit("")).alias(n) for n in names])
    return _numbered(frame).withColumn(RAW_LINE, F.lit(None).cast("string")) \
        .withColumn(REASON, F.lit(None).cast("string"))


def _numbered(frame: DataFrame) -> DataFrame:
    """``frame`` with its 1-based row in file order: each split's offset plus the row within it.

    Spark reads one file in splits, one per partition; ``input_file_block_start``
    orders the splits and ``monotonically_increasing_id`` the rows within one,
    so a small per-split count gives every row its number without a shuffle of the rows.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    marked = frame.withColumn("_ringwatch_block", F.input_file_block_start()) \
        .withColumn("_ringwatch_id", F.monotonically_increasing_id()).cache()
    splits = marked.groupBy("_ringwatch_block").agg(F.count(F.lit(1)).alias("_n"),
                                                    F.min("_ringwatch_id").alias("_first"))
    splits = splits.withColumn("_offset", F.sum("_n").over(
        Window.orderBy("_ringwatch_block").rowsBetween(Window.unboundedPreceding, -1)))
    return (marked.join(F.broadcast(splits), "_ringwatch_block")
            .withColumn(_ROW, F.coalesce("_offset", F.lit(0)) + F.col("_ringwatch_id")
                        - F.col("_first") + 1)
            .drop("_ringwatch_block", "_ringwatch_id", "_n", "_first", "_offset"))


def _from_loader(spark: SparkSession, path: Path) -> DataFrame:
    """A damaged CSV file read by the loader's reader, with its reasons and raw lines."""
    import pyarrow as pa
    from pyspark.sql import types as T

    raw = read_table(path)
    n = raw.table.num_rows
    table = raw.table.append_column(_ROW, pa.array(range(1, n + 1), pa.int64()))
    table = table.append_column(RAW_LINE, raw.raw_lines if raw.raw_lines is not None
                                else pa.nulls(n, pa.string()))
    table = table.append_column(REASON, raw.row_reasons if raw.row_reasons is not None
                                else pa.nulls(n, pa.string()))
    schema = T.StructType([T.StructField(n, T.LongType() if n == _ROW else T.StringType())
                           for n in table.column_names])
    return spark.createDataFrame(table.to_pandas(), schema)


# --- checking ----------------------------------------------------------------------------------


def _quoted(prefix: str, text: SparkColumn, suffix: str = "'") -> SparkColumn:
    """``prefix + 'value' + suffix``, the value cut as the loader cuts it."""
    from pyspark.sql import functions as F

    return F.concat(F.lit(prefix + "'"), F.substring(text, 1, _VALUE_SHOWN), F.lit(suffix))


def _when(failed: SparkColumn, message: SparkColumn) -> SparkColumn:
    from pyspark.sql import functions as F

    return F.when(F.coalesce(failed, F.lit(False)), message)


def _column_checks(column: Column, given: str, typed_in_file: bool
                   ) -> tuple[SparkColumn, list[SparkColumn]]:
    """One contract column's typed value and its checks' messages, in the loader's order."""
    from pyspark.sql import functions as F

    name = column.name
    checks: list[SparkColumn] = []
    if typed_in_file:  # a typed Parquet column: no text to be empty or padded
        arr = F.col(given)
        text = arr.cast("string")
        if column.required:
            checks.append(_when(arr.isNull(), F.lit(f"{Code.MISSING_VALUE.prefix}{name} is empty")))
        if column.type is ColumnType.TIMESTAMP:
            return arr.cast("timestamp"), checks
        what = "a whole number" if column.type is ColumnType.INTEGER else "a number"
        if column.type is ColumnType.INTEGER:
            as_float = arr.cast("double")
            whole = (F.floor(as_float) == as_float) & (as_float >= -(2.0**63)) & (as_float < 2.0**63)
            checks.append(_when(~whole, _quoted(
                f"{Code.BAD_NUMBER.prefix}{name} is not {what} in the 64-bit range: ", text)))
            values = F.when(whole, arr.cast("bigint"))
        else:
            values = arr.cast("double")
        return _bounded(values, text, column, checks)
    raw = F.col(given)
    if column.type is ColumnType.ID:
        text = raw
        empty = (F.length(raw) == 0) | raw.rlike(r"(?U)^\s+$")
    else:
        text = F.regexp_replace(raw, r"(?U)^\s+|\s+$", "")
        empty = F.length(text) == 0
    empty = F.coalesce(empty, F.lit(True))
    value = F.when(~empty, text)
    if column.required:
        checks.append(_when(empty, F.lit(f"{Code.MISSING_VALUE.prefix}{name} is empty")))
    if column.type is ColumnType.TIMESTAMP:
        shaped = value.rlike(_ISO_8601)
        iso = F.when(shaped, value)
        iso = F.when(iso.rlike(_BARE_DATE), F.concat(iso, F.lit("T00:00:00"))).otherwise(iso)
        iso = F.regexp_replace(iso, r"(\d),(\d)", "$1.$2")
        values = iso.try_cast("timestamp")
        checks.append(_when(value.isNotNull() & values.isNull(), _quoted(
            f"{Code.BAD_TIMESTAMP.prefix}{name} is not an ISO-8601 time: ", value)))
        return values, checks
    if column.type in (ColumnType.NUMBER, ColumnType.INTEGER):
        integer = column.type is ColumnType.INTEGER
        what = "a whole number" if integer else "a number"
        shaped = value.rlike(_INTEGER if integer else _NUMBER)
        values = F.when(shaped, value).try_cast("bigint" if integer else "double")
        checks.append(_when(value.isNotNull() & ~shaped, _quoted(
            f"{Code.BAD_NUMBER.prefix}{name} is not {what}: ", value)))
        if integer:
            checks.append(_when(shaped & values.isNull(), _quoted(
                f"{Code.BAD_NUMBER.prefix}{name} is beyond the 64-bit integer range: ", value)))
        return _bounded(values, value, column, checks)
    choices = column.domain()
    if choices:
        lowered = F.lower(value)
        checks.append(_when(lowered.isNotNull() & ~lowered.isin(*choices), _quoted(
            f"{Code.OUT_OF_DOMAIN.prefix}{name} must be one of {', '.join(choices)}; got ", value)))
        return lowered, checks
    return value, checks


def _bounded(values: SparkColumn, text: SparkColumn, column: Column,
             checks: list[SparkColumn]) -> tuple[SparkColumn, list[SparkColumn]]:
    """The loader's ``_checked_numbers``: finite, minimum, maximum, then the default."""
    from pyspark.sql import functions as F

    name = column.name
    if column.type is ColumnType.NUMBER:
        finite = ~(F.isnan(values) | (F.abs(values) == float("inf")))
        checks.append(_when(~finite, _quoted(f"{Code.BAD_NUMBER.prefix}{name} is not a finite number: ",
                                             text)))
    if column.minimum is not None:
        checks.append(_when(values < column.minimum, _quoted(
            f"{Code.OUT_OF_DOMAIN.prefix}{name} must be >= {column.minimum:g}, got ", text)))
    if column.maximum is not None:
        checks.append(_when(values > column.maximum, _quoted(
            f"{Code.OUT_OF_DOMAIN.prefix}{name} must be <= {column.maximum:g}, got ", text)))
    if column.default is not None:
        values = F.coalesce(values, F.lit(column.default).cast(_TYPES[column.type]))
    return values, checks


def _typed_name(name: str) -> str:
    return f"_ringwatch_typed_{name}"


def _check(raw: DataFrame, spec: TableSpec, loaded: dict[str, DataFrame]) -> DataFrame:
    """``raw`` with each contract column's typed value and the row's first reason (or null)."""
    from pyspark.sql import functions as F

    given = [c for c in raw.columns if c not in (_ROW, RAW_LINE, REASON)]
    stored = dict(raw.dtypes)
    reasons: list[SparkColumn] = [F.col(REASON)]
    for name in given:  # oversized_value, every text column, in file order
        if stored[name] == "string":
            reasons.append(_when(F.octet_length(name) > MAX_VALUE_BYTES, F.concat(
                F.lit(f"{Code.OVERSIZED_VALUE.prefix}{name} is "),
                F.format_number(F.octet_length(name), 0).cast("string"),
                F.lit(f" bytes long, more than the {MAX_VALUE_BYTES:,} a value may hold"))))
    typed: dict[str, SparkColumn] = {}
    for column in spec.columns:
        if column.name not in given:
            kind = _TYPES.get(column.type, "string")
            default = column.default if column.type is ColumnType.INTEGER else None
            typed[column.name] = F.lit(default if default is not None else
                                       (0 if column.type is ColumnType.INTEGER else None)).cast(kind)
            continue
        in_file = stored[column.name] not in ("string", "binary") and column.type in _TYPES
        values, checks = _column_checks(column, column.name, in_file)
        typed[column.name] = values
        reasons.extend(checks)
    frame = raw.select("*", *[v.alias(_typed_name(n)) for n, v in typed.items()]) \
        .withColumn(REASON, F.coalesce(*reasons))
    for reference in spec.references:
        frame = _reference_check(frame, reference, loaded)
    return _duplicate_check(frame, spec)


def _reference_check(frame: DataFrame, reference, loaded: dict[str, DataFrame]) -> DataFrame:
    """Rows naming an id that did not load in the referenced table (tables earlier in the contract)."""
    from pyspark.sql import functions as F

    values = F.col(_typed_name(reference.column))
    applies = values.isNotNull()
    if reference.when is not None:
        when_column, when_value = reference.when
        applies = applies & (F.col(_typed_name(when_column)) == when_value)
    target = loaded.get(reference.table)
    hit = "_ringwatch_known"
    if target is None:
        known = F.lit(False)
        joined = frame
    else:
        ids = target.select(F.col(reference.target).alias("_ringwatch_id")).distinct() \
            .withColumn(hit, F.lit(True))
        joined = frame.join(ids, values == F.col("_ringwatch_id"), "left").drop("_ringwatch_id")
        known = F.coalesce(F.col(hit), F.lit(False))
    message = _quoted(f"{Code.UNKNOWN_REFERENCE.prefix}{reference.column} ", values,
                      f"' is not found in {reference.table}.{reference.target}")
    out = joined.withColumn(REASON, F.coalesce(F.col(REASON), _when(applies & ~known, message)))
    return out.drop(hit) if hit in out.columns else out


def _key_text(frame: DataFrame, name: str) -> SparkColumn:
    """A key value as the loader prints it (Python's ``str`` of the typed value)."""
    from pyspark.sql import functions as F

    column = F.col(_typed_name(name))
    kind = dict(frame.dtypes)[_typed_name(name)]
    if kind == "timestamp":  # str(datetime) with UTC
        return F.concat(F.date_format(column, "yyyy-MM-dd HH:mm:ss"),
                        F.when(F.date_format(column, "SSSSSS") != "000000",
                               F.concat(F.lit("."), F.date_format(column, "SSSSSS"))).otherwise(""),
                        F.lit("+00:00"))
    if kind == "double":
        return F.format_string("%s", column)
    return F.coalesce(column.cast("string"), F.lit("None"))


def _duplicate_check(frame: DataFrame, spec: TableSpec) -> DataFrame:
    """Every repeat of a key among the rows still good; the first good row wins (nulls equal)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    good = F.col(REASON).isNull()
    key = [F.col(_typed_name(k)) for k in spec.key]
    by_key = Window.partitionBy(*key, good)
    first = F.min(_ROW).over(by_key)
    key_text = spec.key[0] if len(spec.key) == 1 else "key (" + ", ".join(spec.key) + ")"
    shown = _key_text(frame, spec.key[0]) if len(spec.key) == 1 else F.concat_ws(
        ", ", *[_key_text(frame, k) for k in spec.key])
    message = F.concat(F.lit(f"{Code.DUPLICATE_KEY.prefix}{key_text} '"), shown,
                       F.lit("' was already given on row "), first.cast("string"),
                       F.lit(" (first one wins)"))
    return frame.withColumn(REASON, F.when(good & (F.col(_ROW) != first), message)
                            .otherwise(F.col(REASON)))


def _good_columns(spec: TableSpec, raw: DataFrame) -> list[SparkColumn]:
    """The good rows' columns: the contract's, typed, then the file's extra columns as text."""
    from pyspark.sql import functions as F

    contract = [c.name for c in spec.columns]
    extras = [c for c in raw.columns if c not in contract and c not in (_ROW, RAW_LINE, REASON)]
    return ([F.col(_typed_name(n)).alias(n) for n in contract]
            + [F.col(c).cast("string").alias(c) for c in extras])


def to_snapshot(load: SparkLoad) -> Snapshot:
    """The good rows on the driver, typed as the loader types them (for a store's write).

    Through Arrow, as the loader's own frames are made, with times as UTC microseconds.
    """
    import pyarrow as pa

    frames = {}
    for name, frame in load.tables.items():
        table = frame.toArrow()
        table = table.cast(pa.schema([
            field.with_type(TIMESTAMP_TYPE) if pa.types.is_timestamp(field.type) else field
            for field in table.schema]))
        frames[name] = table.to_pandas()
    return Snapshot(frames)
