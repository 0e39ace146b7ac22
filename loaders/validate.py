"""Vectorised validation of one snapshot table: parse, check, and split good rows from bad.

Every check runs on whole Arrow columns (no Python loop per row) and every
failing row keeps the *first* reason it failed for, as ``"<code>: <detail>"``
naming the column and the value, so a quarantine file can be read without the
code. Codes: ``malformed_row`` and ``invalid_utf8`` (from the read),
``oversized_value``, ``missing_value``, ``bad_timestamp``, ``bad_number``,
``out_of_domain``, ``unknown_reference``, ``duplicate_key``.

A quarantine row is the input row as given (every column as text, never
trimmed or parsed) followed by the loader's own columns, whose names start with
the reserved ``_ringwatch_`` prefix so that no input column (an allowlist's
``reason``) is ever overwritten: ``_ringwatch_source_row``,
``_ringwatch_reason`` and ``_ringwatch_raw_line``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ringwatch.domain import QuarantineCode as Code
from ringwatch.tables import (
    TABLES,
    TIMESTAMP_TYPE,
    Column,
    ColumnType,
    Reference,
    TableSpec,
    absent_column,
)

from .duplicate_keys import repeated_in_sorted, repeated_keys, repeats_of
from .known_ids import KnownIds, contains, known_ids
from .padded_text import has_padded_value
from .read import RawTable, is_utf8
from .schema import MAX_VALUE_BYTES, RAW_LINE, REASON, SOURCE_ROW
from .typed_columns import readable_columns

_ISO_8601 = (
    r"^\d{4}-\d{2}-\d{2}"
    r"([T ]\d{2}(:\d{2}(:\d{2}([.,]\d{1,9})?)?)?)?"
    r"(Z|z|[+-]\d{2}(:?\d{2})?)?$"
)
_HAS_OFFSET = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"
_BARE_DATE = r"^\d{4}-\d{2}-\d{2}$"
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_INTEGER = r"^[+-]?\d+$"
_VALUE_SHOWN = 80  # characters of a bad value quoted in its reason
_INT64_MAX = 2**63 - 1


@dataclass
class ValidatedTable:
    """One table after validation: typed good rows, and the bad rows as given with their reason."""

    name: str
    frame: pd.DataFrame
    quarantine: pd.DataFrame
    read: int
    notes: tuple[str, ...] = ()  # warnings for the load summary (a column that was not loaded)
    #: Loaded ids other tables reference, already indexed for their checks (the key's, when
    #: its duplicate check indexed them); the loader indexes the others itself.
    ids: dict[tuple[str, str], KnownIds] = field(default_factory=dict)

    @property
    def loaded(self) -> int:
        return len(self.frame)

    @property
    def quarantined(self) -> int:
        return len(self.quarantine)


class _Reasons:
    """The first failure reason of every row, filled in check by check.

    Messages are built lazily: a check that fails no row costs one pass over its mask, and
    a table no check fails never builds its column of reasons (all null).
    """

    def __init__(self, n: int, given: pa.Array | pa.ChunkedArray | None = None) -> None:
        self.n = n
        self._values = given  # None while no row has a reason

    @property
    def values(self) -> pa.Array | pa.ChunkedArray:
        if self._values is None:
            self._values = pa.nulls(self.n, pa.string())
        return self._values

    @property
    def any(self) -> bool:
        """Whether some row has a reason."""
        return self._values is not None and self._values.null_count < self.n

    def add(self, failed: pa.Array | pa.ChunkedArray | None,
            message: Callable[[], pa.Array | pa.ChunkedArray | str]) -> None:
        """Give ``failed`` rows (None: no row) the reason ``message`` builds, unless they have one."""
        if failed is None:
            return
        failed = pc.fill_null(failed, False)
        if not pc.any(failed).as_py():
            return
        if self._values is None:
            self._values = pc.if_else(failed, message(), pa.scalar(None, pa.string()))
            return
        self._values = pc.if_else(pc.and_(pc.is_null(self._values), failed), message(),
                                  self._values)

    @property
    def ok(self) -> pa.Array | pa.ChunkedArray:
        return pc.is_null(self.values)

    def eligible(self) -> np.ndarray:
        """Per row, whether it has no reason yet, as numpy booleans."""
        if not self.any:
            return np.ones(self.n, dtype=bool)
        return self.ok.to_numpy(zero_copy_only=False)


#: A column's values as text, or a function that makes them, for a message that may never be
#: needed (a typed column's text costs a cast of every value).
Text = pa.Array | pa.ChunkedArray | Callable[[], pa.Array | pa.ChunkedArray]


def _quoted(prefix: str, text: Text, suffix: str = "'") -> Callable[[], pa.Array]:
    """A message builder: ``prefix + 'value' + suffix`` per row, the value cut to a readable length."""
    def build() -> pa.Array:
        shown = _plain(pc.utf8_slice_codeunits(text() if callable(text) else text, 0, _VALUE_SHOWN))
        return pc.binary_join_element_wise(prefix + "'", shown, suffix, "")
    return build


def _plain(text: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text as plain ``string`` (a message's parts must share one type; the read gives
    ``large_string``, which pandas keeps without a copy)."""
    return text if pa.types.is_string(text.type) else pc.cast(text, pa.string())


def _as_text(arr: pa.Array) -> pa.Array:
    return arr if is_utf8(arr.type) else pc.cast(arr, pa.string())


def _parse_timestamps(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Parse ISO-8601 text to UTC timestamps; returns (values, failed) with nulls where failed."""
    for target in (TIMESTAMP_TYPE, pa.timestamp("us")):
        try:  # the common case: a column written in one style, all valid
            return pc.cast(pc.cast(text, target), TIMESTAMP_TYPE), _none_failed(text)
        except pa.ArrowInvalid:
            pass
    given = text = _plain(text)  # a damaged column, rare: its text is joined with literals below
    shaped = pc.match_substring_regex(text, _ISO_8601)
    text = pc.if_else(shaped, text, pa.scalar(None, pa.string()))
    # A bare date is midnight UTC; text without an offset is UTC.
    text = pc.if_else(pc.match_substring_regex(text, _BARE_DATE),
                      pc.binary_join_element_wise(text, "T00:00:00", ""), text)
    text = pc.replace_substring_regex(text, r"(\d),(\d)", r"\1.\2")
    has_offset = pc.fill_null(pc.match_substring_regex(text, _HAS_OFFSET), False)
    null = pa.scalar(None, pa.string())
    try:
        aware = pc.cast(pc.if_else(has_offset, text, null), TIMESTAMP_TYPE)
        naive = pc.cast(pc.cast(pc.if_else(has_offset, null, text), pa.timestamp("us")),
                        TIMESTAMP_TYPE)
        values = pc.if_else(has_offset, aware, naive)
    except pa.ArrowInvalid:
        # The shape was right but a field is out of range (month 13): let pandas find which rows.
        parsed = pd.to_datetime(pd.Series(text.to_pandas()), utc=True, format="ISO8601",
                                errors="coerce")
        values = pa.array(parsed.dt.as_unit("us"), type=TIMESTAMP_TYPE, from_pandas=True)
    return values, pc.and_(pc.is_valid(given), pc.is_null(values))


def _none_failed(text: pa.Array | pa.ChunkedArray) -> None:
    """No row failed: :meth:`_Reasons.add` skips it without a pass over the rows."""
    return None


def _parse_numbers(text: pa.Array, column_type: ColumnType) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Parse decimal text to float64 (or int64); returns (values, misshaped, out of range).

    The vectorised cast takes a clean column at once. Otherwise the text of the
    right shape is cast, and if pyarrow still refuses some of it (an integer
    beyond int64, a ``+`` sign it does not take) that text alone is parsed in
    Python: a rare, already damaged column, never a reason to fail the table.
    """
    pattern, target = (_INTEGER, pa.int64()) if column_type is ColumnType.INTEGER else (_NUMBER, pa.float64())
    try:  # the common case: every value is a number
        return pc.cast(text, target), _none_failed(text), _none_failed(text)
    except pa.ArrowInvalid:
        pass
    shaped = pc.fill_null(pc.match_substring_regex(text, pattern), True)
    candidates = pc.if_else(shaped, text, pa.scalar(None, pa.string()))
    try:
        return pc.cast(candidates, target), pc.invert(shaped), _none_failed(text)
    except pa.ArrowInvalid:
        values, out_of_range = _parse_each(candidates, column_type)
        return values, pc.invert(shaped), out_of_range


def _parse_each(text: pa.Array | pa.ChunkedArray, column_type: ColumnType) -> tuple[pa.Array, pa.Array]:
    """Parse well-shaped number text one value at a time; returns (values, out of int64 range)."""
    values: list[int | float | None] = []
    out = np.zeros(len(text), dtype=bool)
    for i, given in enumerate(text.to_pylist()):
        if given is None:
            values.append(None)
        elif column_type is not ColumnType.INTEGER:
            values.append(float(given))  # too large a number is inf: "not a finite number"
        else:
            try:  # Python refuses more than 4,300 digits: out of range all the same
                number = int(given)
            except ValueError:
                number = None
            in_range = number is not None and -_INT64_MAX - 1 <= number <= _INT64_MAX
            values.append(number if in_range else None)
            out[i] = not in_range
    target = pa.int64() if column_type is ColumnType.INTEGER else pa.float64()
    return pa.array(values, target), pa.array(out)


def _typed_numbers(arr: pa.Array | pa.ChunkedArray, column_type: ColumnType) -> tuple[pa.Array, pa.Array]:
    """Cast a typed numeric column to float64 (or int64); returns (values, not a whole int64).

    A float that is not whole, not finite or beyond int64, or an unsigned
    integer beyond int64, cannot be an integer column's value: it fails rather
    than being truncated or wrapped by the cast.
    """
    if column_type is not ColumnType.INTEGER:
        return pc.cast(arr, pa.float64(), safe=False), _none_failed(arr)
    if pa.types.is_floating(arr.type):
        arr = pc.cast(arr, pa.float64())  # float16 has no arithmetic kernels
        whole = pc.and_(pc.is_finite(arr), pc.equal(pc.floor(arr), arr))
        fits = pc.and_(pc.greater_equal(arr, -(2.0**63)), pc.less(arr, 2.0**63))
        failed = pc.fill_null(pc.invert(pc.and_(whole, fits)), False)
    elif pa.types.is_uint64(arr.type):
        failed = pc.fill_null(pc.greater(arr, pa.scalar(_INT64_MAX, pa.uint64())), False)
    else:
        return pc.cast(arr, pa.int64()), _none_failed(arr)
    kept = pc.if_else(failed, pa.scalar(None, arr.type), arr)
    return pc.cast(kept, pa.int64(), safe=False), failed


def _typed_timestamps(arr: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """A typed timestamp column as UTC microseconds; returns (values, out of range).

    Nanoseconds are cut to microseconds (the contract's precision); seconds or
    milliseconds beyond the microsecond range fail rather than wrap.
    """
    per_us = {"s": 1_000_000, "ms": 1_000}.get(arr.type.unit)
    failed = _none_failed(arr)
    if per_us is not None:
        ticks = pc.cast(arr, pa.int64())
        limit = _INT64_MAX // per_us
        failed = pc.fill_null(pc.or_(pc.greater(ticks, limit), pc.less(ticks, -limit)), False)
        arr = pc.if_else(failed, pa.scalar(None, arr.type), arr)
    if not arr.type.tz:
        arr = pc.assume_timezone(arr, "UTC")
    return pc.cast(arr, TIMESTAMP_TYPE, safe=False), failed


def _convert(arr: pa.Array, text: Text, column: Column, reasons: _Reasons) -> pa.Array:
    """Turn one column into its typed values, recording parse failures and domain violations."""
    name = column.name
    if column.type is ColumnType.TIMESTAMP:
        if pa.types.is_timestamp(arr.type):
            values, failed = _typed_timestamps(arr)
            reasons.add(failed, _quoted(f"{Code.BAD_TIMESTAMP.prefix}{name} is out of range: ", text))
            return values
        values, failed = _parse_timestamps(text)
        reasons.add(failed, _quoted(f"{Code.BAD_TIMESTAMP.prefix}{name} is not an ISO-8601 time: ", text))
        return values
    if column.type in (ColumnType.NUMBER, ColumnType.INTEGER):
        what = "a whole number" if column.type is ColumnType.INTEGER else "a number"
        if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
            values, failed = _typed_numbers(arr, column.type)
            reasons.add(failed, _quoted(f"{Code.BAD_NUMBER.prefix}{name} is not {what} in the 64-bit range: ",
                                        text))
        else:
            values, failed, out_of_range = _parse_numbers(text, column.type)
            reasons.add(failed, _quoted(f"{Code.BAD_NUMBER.prefix}{name} is not {what}: ", text))
            reasons.add(out_of_range,
                        _quoted(f"{Code.BAD_NUMBER.prefix}{name} is beyond the 64-bit integer range: ", text))
        return _checked_numbers(values, text, column, reasons)
    choices = column.domain()
    if choices:
        values = pc.utf8_lower(text)
        allowed = pc.is_in(values, value_set=pa.array(choices))
        reasons.add(pc.and_(pc.is_valid(values), pc.invert(allowed)),
                    _quoted(f"{Code.OUT_OF_DOMAIN.prefix}{name} must be one of "
                            f"{', '.join(choices)}; got ", text))
        return values
    return text


def _checked_numbers(values: pa.Array, text: Text, column: Column, reasons: _Reasons) -> pa.Array:
    """Check parsed numbers against the column's domain (finite, minimum, maximum); fill its default."""
    name = column.name
    target = pa.int64() if column.type is ColumnType.INTEGER else pa.float64()
    if not _all_within(values, column):  # the common column skips the checks: none can fail
        if pa.types.is_floating(values.type):
            reasons.add(pc.invert(pc.is_finite(values)),
                        _quoted(f"{Code.BAD_NUMBER.prefix}{name} is not a finite number: ", text))
        if column.minimum is not None:
            reasons.add(pc.less(values, column.minimum),
                        _quoted(f"{Code.OUT_OF_DOMAIN.prefix}{name} must be >= {column.minimum:g}, got ",
                                text))
        if column.maximum is not None:
            reasons.add(pc.greater(values, column.maximum),
                        _quoted(f"{Code.OUT_OF_DOMAIN.prefix}{name} must be <= {column.maximum:g}, got ",
                                text))
    if column.default is not None and values.null_count:
        values = pc.fill_null(values, pa.scalar(column.default, target))
    return values


def parsed_types(spec: TableSpec) -> dict[str, pa.DataType]:
    """The Arrow type a CSV read may parse each of the table's time columns into.

    A column parsed so is checked as a typed (Parquet) column is, and holds the
    values the text would have been cast to (:func:`~.read.read_table_parsed`).
    Only times: no text longer than a few dozen bytes parses as an ISO-8601 time,
    so a parsed time column holds no value the size limit
    (:data:`~.schema.MAX_VALUE_BYTES`) would have refused; a number can be padded or
    zero-filled to any length and still parse, and a number column stays text for
    the size check to see.
    """
    return {c.name: TIMESTAMP_TYPE for c in spec.columns if c.type is ColumnType.TIMESTAMP}


def _all_within(values: pa.Array | pa.ChunkedArray, column: Column) -> bool:
    """Whether every number is finite and within the column's minimum and maximum (nulls aside).

    One pass for the bounds and one for NaN (which ``min_max`` may pass over),
    where checking each rule row by row costs three passes per rule; a column
    that is not within them takes those checks, which name the rows.
    """
    bounds = pc.min_max(values)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    if low is None or high is None:
        return True  # every value is null: no rule applies to a null
    if not (math.isfinite(low) and math.isfinite(high)):
        return False
    if pa.types.is_floating(values.type) and pc.any(pc.is_nan(values)).as_py():
        return False
    return (column.minimum is None or low >= column.minimum) and \
        (column.maximum is None or high <= column.maximum)


def _is_typed_as(arrow_type: pa.DataType, column_type: ColumnType) -> bool:
    """Whether a typed (Parquet) column already holds the kind of value the contract's column does."""
    if column_type is ColumnType.TIMESTAMP:
        return pa.types.is_timestamp(arrow_type)
    if column_type in (ColumnType.NUMBER, ColumnType.INTEGER):
        return pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)
    return False


def _convert_clean(arr: pa.Array | pa.ChunkedArray, column: Column, reasons: _Reasons,
                   distinct: pa.Array | None = None) -> pa.Array | pa.ChunkedArray | None:
    """The typed values of a text column that converts as given, or None to take the long way.

    The common column has no empty, padded or misshapen value: its
    timestamps or numbers cast at once, or its every value is one of the
    domain's words. Arrow's casts refuse an empty value and white space
    around one, so a column that casts needed neither of the checks for them,
    and gets the same values the long way would give. (The caller tries only
    columns with no empty value: a failing cast builds an error message for
    every value it refuses, which costs more than the long way.)
    ``distinct`` holds every value the column may hold, when the read knows them
    (a Parquet dictionary), spared a pass over the rows.
    """
    if column.type is ColumnType.TIMESTAMP:
        try:
            return pc.cast(arr, TIMESTAMP_TYPE)
        except pa.ArrowInvalid:
            return None
    if column.type in (ColumnType.NUMBER, ColumnType.INTEGER):
        try:
            values = pc.cast(arr, pa.int64() if column.type is ColumnType.INTEGER else pa.float64())
        except pa.ArrowInvalid:
            return None
        return _checked_numbers(values, arr, column, reasons)
    choices = column.domain()
    # Whether each value is a domain word as given (then lowering it changes nothing), asked
    # of the column's distinct values: one hash pass, where ``is_in`` of every row costs two.
    if not choices or any(c != c.lower() for c in choices):
        return None
    for values in (distinct, arr):  # the dictionary's values may hold some no row uses
        if values is not None and \
                pc.all(pc.is_in(pc.unique(values), value_set=pa.array(choices))).as_py():
            return arr
    return None
    return None


#: The ids that loaded in a referenced ``(table, column)``: Arrow values, or ready for lookups.
Known = Mapping[tuple[str, str], pa.Array | KnownIds]


def _reference_check(
    typed: Mapping[str, pa.Array],
    reference: Reference,
    known: Known,
    reasons: _Reasons,
) -> None:
    values = typed[reference.column]
    applies = pc.is_valid(values)
    if reference.when is not None:
        when_column, when_value = reference.when
        applies = pc.and_(applies, pc.equal(typed[when_column], when_value))
    ids = known.get((reference.table, reference.target), pa.array([], pa.string()))
    if not isinstance(ids, KnownIds):
        ids = known_ids(ids)
    reasons.add(_unknown(ids, values, applies),
                _quoted(f"{Code.UNKNOWN_REFERENCE.prefix}{reference.column} ", values,
                        f"' is not found in {reference.table}.{reference.target}"))


def _unknown(ids: KnownIds, values: pa.Array | pa.ChunkedArray,
             applies: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Per row, whether the reference applies and names no id of ``ids``.

    A reference that applies to a part of the rows only (identity links name
    creators on their creator rows) looks up those rows alone: the lookup
    costs per row looked up.
    """
    mask = pc.fill_null(applies, False).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(mask)
    if 4 * len(rows) >= 3 * len(mask):
        return pc.and_(applies, pc.invert(contains(ids, values)))
    # A filter copies the rows' text in order, about twice as fast as a ``take`` of them.
    found = contains(ids, values.filter(pa.array(mask))).to_numpy(zero_copy_only=False)
    mask[rows[found]] = False
    return pa.array(mask)


#: The (table, column) pairs some reference names, from the contract.
REFERENCED = frozenset((reference.table, reference.target) for spec in TABLES
                       for reference in spec.references)


def _key_index(spec: TableSpec, typed: Mapping[str, pa.Array | pa.ChunkedArray]) -> KnownIds | None:
    """The table's key, ready for the reference checks of the tables that name it
    (commissions name orders), or None.

    Built before the duplicate check, which then reads its repeats off the
    sorted hashes, so that the key is hashed and sorted once; or, with the
    compiled checks, a set of the ids, which finds the repeats as it is built.
    None for a key of several columns, one no table references, or one with
    too few ids to be worth hashing (:data:`~.known_ids.MIN_HASHED`) when the
    checks are not compiled.
    """
    if len(spec.key) != 1 or (spec.name, spec.key[0]) not in REFERENCED:
        return None
    index = known_ids(typed[spec.key[0]])
    return index if index.hashes is not None or index.compiled is not None else None


def _duplicate_check(typed: Mapping[str, pa.Array], spec: TableSpec, reasons: _Reasons,
                     index: KnownIds | None = None) -> None:
    """Mark every repeat of a key among the rows still good; the first good row wins.

    ``index`` is the key's :func:`_key_index`, when it has one.
    """
    key = spec.key
    n = reasons.n
    eligible = reasons.eligible()
    columns = [typed[k] for k in key]
    if index is not None and index.compiled is not None and eligible.all():
        repeats = repeats_of(index.compiled.first_of)  # found exactly while the set was built
    elif index is not None and index.hashes is not None and index.positions is not None \
            and eligible.all():
        repeats = repeated_in_sorted(columns, index.hashes, index.positions)
    else:
        # Columns of a few domain words tell few rows apart: the others narrow the search.
        hashed = [i for i, k in enumerate(key) if not spec.column(k).domain()]
        repeats = repeated_keys(columns, eligible, hashed=hashed or None)
    if not len(repeats):
        return
    failed = np.zeros(n, dtype=bool)
    failed[repeats.rows] = True
    message = np.full(n, None, dtype=object)
    key_text = key[0] if len(key) == 1 else "key (" + ", ".join(key) + ")"
    at = pa.array(repeats.rows)
    values = [typed[k].take(at).to_pylist() for k in key]
    shown = values[0] if len(key) == 1 else [", ".join(map(str, v)) for v in zip(*values, strict=True)]
    # Only repeated rows reach this loop, and a snapshot has few of them.
    for row, value, first_row in zip(repeats.rows.tolist(), shown, repeats.first.tolist(),
                                     strict=True):
        message[row] = (f"{Code.DUPLICATE_KEY.prefix}{key_text} '{value}' was already given on row "
                        f"{first_row + 1} (first one wins)")
    reasons.add(pa.array(failed), lambda: pa.array(message, pa.string()))


def validate_table(
    raw: RawTable,
    spec: TableSpec,
    known: Known,
) -> ValidatedTable:
    """Validate one table against its spec and the ids already loaded from the tables it references.

    Returns the typed good rows (required columns present even when optional
    ones are absent from the file; extra columns kept as text) and the bad rows
    exactly as given, followed by ``_ringwatch_source_row`` (1-based data row),
    ``_ringwatch_reason`` and ``_ringwatch_raw_line``. Raises
    :class:`~ringwatch.loaders.errors.ColumnTypeError` for a contract column of
    a type that cannot be read as its type. The same as :func:`check_columns`
    then :func:`finish_table`.
    """
    return finish_table(check_columns(raw, spec), known)


@dataclass
class CheckedTable:
    """A table whose columns are parsed and checked, before the checks that need other tables.

    Validation is split here so that a loader can check a table's columns while
    the tables it references are still being validated, and wait for their ids
    only for the reference checks.
    """

    raw: RawTable
    spec: TableSpec
    typed: dict[str, pa.Array | pa.ChunkedArray]
    reasons: _Reasons


def check_columns(raw: RawTable, spec: TableSpec) -> CheckedTable:
    """Parse and check every column of one table on its own (sizes, empties, types, domains).

    Raises :class:`~ringwatch.loaders.errors.ColumnTypeError` for a contract
    column of a type that cannot be read as its type.
    """
    raw = readable_columns(raw, spec)
    table = raw.table
    n = table.num_rows
    reasons = _Reasons(n, raw.row_reasons)
    shortest = _size_check(table, reasons)
    typed: dict[str, pa.Array | pa.ChunkedArray] = {}
    for column in spec.columns:
        if column.name not in table.column_names:
            typed[column.name] = absent_column(column, n)
            continue
        arr = table[column.name]
        filled = is_utf8(arr.type) and arr.null_count == 0 and \
            (shortest.get(column.name) or 0) > 0  # no value is empty
        if filled:
            clean = _convert_clean(arr, column, reasons, raw.distinct.get(column.name))
            if clean is not None:
                typed[column.name] = clean
                continue
        if _is_typed_as(arr.type, column.type):
            # A Parquet number or time: no text to be empty or padded, only nulls.
            if column.required:
                reasons.add(pc.is_null(arr),
                            lambda name=column.name: f"{Code.MISSING_VALUE.prefix}{name} is empty")
            typed[column.name] = _convert(arr, lambda arr=arr: _as_text(arr), column, reasons)
            continue
        text = _as_text(arr)
        # Identifiers are opaque and kept exactly as given; other text is trimmed when padded.
        padded = has_padded_value(text)
        if filled and not padded:  # the common identifier: nothing to trim, nothing empty
            typed[column.name] = _convert(arr, text, column, reasons)
            continue
        if padded and column.type is not ColumnType.ID:
            text = pc.utf8_trim_whitespace(text)
        empty = pc.equal(pc.binary_length(text), 0)
        if padded and column.type is ColumnType.ID:  # an identifier of blanks is no identifier
            empty = pc.or_(empty, pc.utf8_is_space(text))
        empty = pc.fill_null(empty, True)
        value = text
        if pc.any(empty).as_py():
            value = pc.if_else(empty, pa.scalar(None, pa.string()), value)
        if column.required:
            reasons.add(empty, lambda name=column.name: f"{Code.MISSING_VALUE.prefix}{name} is empty")
        typed[column.name] = _convert(arr, value, column, reasons)
    return CheckedTable(raw, spec, typed, reasons)


def finish_table(checked: CheckedTable, known: Known) -> ValidatedTable:
    """Check a table's references against ``known`` ids and its key, and split good rows from bad.

    ``known`` maps ``(table, column)`` to the values that loaded there; a
    reference to a pair it lacks names no row. Returns what
    :func:`validate_table` returns.
    """
    raw, spec, typed, reasons = checked.raw, checked.spec, checked.typed, checked.reasons
    for reference in spec.references:
        _reference_check(typed, reference, known, reasons)
    index = _key_index(spec, typed)
    _duplicate_check(typed, spec, reasons, index)

    table = raw.table
    n = table.num_rows
    extras = [c for c in table.column_names if c not in typed]
    good = pa.table({**typed, **{c: _as_text(table[c]) for c in extras}})
    if not reasons.any:  # the common table: every row is good, nothing to split
        # Its key's index then holds exactly the ids that loaded, in the frame's order.
        ids = {(spec.name, spec.key[0]): index} if index is not None else {}
        return ValidatedTable(spec.name, _frame(good), _quarantine_rows(raw, None, reasons), n,
                              tuple(raw.notes), ids)
    ok = reasons.ok
    frame = _frame(good.filter(ok))
    return ValidatedTable(spec.name, frame, _quarantine_rows(raw, pc.invert(ok), reasons), n,
                          tuple(raw.notes))


def _frame(table: pa.Table) -> pd.DataFrame:
    """The typed rows as pandas, one block per column: the values and types a consolidated
    frame has, without copying every number and time column into a shared block."""
    return table.to_pandas(split_blocks=True)


def _size_check(table: pa.Table, reasons: _Reasons) -> dict[str, int | None]:
    """Fail every row holding a value longer than :data:`MAX_VALUE_BYTES`, in any column.

    One length pass per text column; the common file, whose longest value is
    short, costs no more than that. Returns each text column's shortest length
    (None for a column of nulls), which tells the caller whether any value is
    empty without another pass.
    """
    shortest: dict[str, int | None] = {}
    for name in table.column_names:
        arr = table[name]
        if not is_utf8(arr.type):
            continue
        lengths = pc.binary_length(arr)
        bounds = pc.min_max(lengths)
        shortest[name] = bounds["min"].as_py()
        longest = bounds["max"].as_py()
        if longest is None or longest <= MAX_VALUE_BYTES:
            continue
        reasons.add(pc.greater(lengths, MAX_VALUE_BYTES),
                    lambda name=name, lengths=lengths: pc.binary_join_element_wise(
                        f"{Code.OVERSIZED_VALUE.prefix}{name} is ", pc.cast(lengths, pa.string()),
                        f" bytes long, more than the {MAX_VALUE_BYTES:,} a value may hold", ""))
    return shortest


@functools.lru_cache(maxsize=64)
def _no_quarantine_rows(columns: tuple[str, ...]) -> pd.DataFrame:
    """The quarantine of a table with no bad row: its columns, typed as a filled one's, no rows.

    Built once per header (pandas takes about a millisecond to build a frame,
    however few its rows), and copied for each table.
    """
    frame = pa.table({c: pa.array([], pa.string()) for c in columns}).to_pandas()
    frame[SOURCE_ROW] = np.zeros(0, dtype=np.int64)
    frame[REASON] = pa.array([], pa.string()).to_pandas()
    frame[RAW_LINE] = pd.Series([], dtype=object)
    return frame


def _quarantine_rows(raw: RawTable, bad: pa.Array | pa.ChunkedArray | None,
                     reasons: _Reasons) -> pd.DataFrame:
    """The failed rows as given (every input column as text), then the loader's own columns.

    ``bad`` marks them; None when no row failed.
    """
    if bad is None:
        return _no_quarantine_rows(tuple(raw.table.column_names)).copy()
    rows = raw.table.filter(bad)
    frame = pa.table({c: _as_text(rows[c]) for c in rows.column_names}).to_pandas()
    frame[SOURCE_ROW] = np.flatnonzero(bad.to_numpy(zero_copy_only=False)) + 1
    frame[REASON] = reasons.values.filter(bad).to_pandas()
    lines = raw.raw_lines.filter(bad).to_pandas() if raw.raw_lines is not None else None
    frame[RAW_LINE] = lines if lines is not None else pd.Series([None] * len(frame), dtype=object)
    return frame
