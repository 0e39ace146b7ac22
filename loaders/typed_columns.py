"""Typed (Parquet) columns the validator cannot read as they are: decode them, drop them, or say why.

A CSV column is always text. A Parquet column has a type, and some types are
no value a graph property can hold (a struct, a list, a map) or may hold bytes
that are not text (binary). The rule, the same for every table:

- a contract column whose type cannot be read as text is a
  :class:`ColumnTypeError` naming the file, the column and its type: the table
  is rejected, as for a missing column (its values cannot be guessed);
- a contract column stored as binary is decoded as UTF-8; a row whose value is
  not UTF-8 is quarantined (``invalid_utf8``), as in CSV;
- an extra column that cannot be read as text (nested, or binary that is not
  all UTF-8) is not loaded, and the load summary warns about it: extra columns
  are kept as text properties, and these have no faithful text.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ringwatch.domain import QuarantineCode as Code
from ringwatch.tables import TableSpec

from .errors import ColumnTypeError
from .read import RawTable, first_reasons, is_utf8

_SHOWN = 80  # characters of a bad value quoted in its reason


def text_problem(arrow_type: pa.DataType) -> str | None:
    """Why values of ``arrow_type`` cannot be read as text, or None when they can.

    Binary can (it is decoded value by value); a type with no cast to text
    (nested, interval, union) cannot.
    """
    if pa.types.is_dictionary(arrow_type):
        return text_problem(arrow_type.value_type)
    if pa.types.is_nested(arrow_type):
        return f"nested {arrow_type} values"
    try:
        pc.cast(pa.nulls(0, arrow_type), pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
        return f"{arrow_type} values, which have no text form"
    return None


def check_column_types(path: Path, names: Iterable[str], types: Iterable[pa.DataType],
                       spec: TableSpec) -> None:
    """Raise :class:`ColumnTypeError` for a contract column stored as a type that cannot be text.

    Runs on the Parquet schema alone, so the snapshot is rejected before any row is read.
    """
    contract = {c.name for c in spec.columns}
    for name, arrow_type in zip(names, types, strict=True):
        if name in contract and (problem := text_problem(arrow_type)) is not None:
            raise _type_error(path, name, problem, spec)


def _type_error(path: Path, name: str, problem: str, spec: TableSpec) -> ColumnTypeError:
    return ColumnTypeError(f"{path}: column {name} holds {problem}, not the "
                           f"{spec.column(name).type.value} the contract needs "
                           f"(table {spec.name} rejected)")


def readable_columns(raw: RawTable, spec: TableSpec) -> RawTable:
    """The table with every column as text or a scalar type the validator parses.

    Dictionary columns are decoded, binary columns decoded as UTF-8, view
    strings cast to plain ones (large ones are kept: pandas holds its text as
    large strings, so a frame takes them without a copy), and extra columns with no text form
    dropped with a note; see the module docstring.
    A CSV table (all text) comes back unchanged at the cost of a type check per column.
    """
    table = raw.table
    contract = {c.name for c in spec.columns}
    columns: dict[str, pa.ChunkedArray | pa.Array] = {}
    reasons = raw.row_reasons
    notes = list(raw.notes)
    distinct = dict(raw.distinct)
    plain = 0
    for name in table.column_names:
        values: pa.ChunkedArray | pa.Array = table[name]
        if is_utf8(values.type):
            columns[name] = values
            plain += 1
            continue
        problem = text_problem(values.type)
        if problem is not None:
            if name in contract:
                raise _type_error(raw.path, name, problem, spec)
            notes.append(f"{raw.path.name}: extra column '{name}' holds {problem}, which a graph "
                         "property cannot hold; the column was not loaded")
            continue
        if pa.types.is_dictionary(values.type):
            dictionaries = [c.dictionary for c in values.chunks] \
                if isinstance(values, pa.ChunkedArray) else [values.dictionary]
            values = pc.cast(values, values.type.value_type)
            if _is_text(values.type) and dictionaries:
                distinct[name] = pc.cast(pa.concat_arrays(dictionaries), pa.string())
        if _is_text(values.type) and not pa.types.is_large_string(values.type):
            values = pc.cast(values, pa.string())  # a view: the checks read offsets and bytes
        elif _is_binary(values.type):
            text, bad = _decoded(values)
            if bad.any():
                if name not in contract:
                    notes.append(f"{raw.path.name}: extra column '{name}' holds {int(bad.sum()):,} "
                                 "binary values that are not UTF-8 text; the column was not loaded")
                    continue
                reasons = first_reasons(reasons, _invalid_utf8(name, text, bad))
            values = text
        columns[name] = values
    if plain == table.num_columns:
        return raw  # every column was plain text (CSV): nothing to rebuild
    return RawTable(raw.path, pa.table(columns), reasons, raw.raw_lines, notes, distinct,
                    raw.parsed)


def _is_text(arrow_type: pa.DataType) -> bool:
    return is_utf8(arrow_type) or _is_view(arrow_type, "is_string_view")


def _is_binary(arrow_type: pa.DataType) -> bool:
    return (pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type)
            or pa.types.is_fixed_size_binary(arrow_type) or _is_view(arrow_type, "is_binary_view"))


def _is_view(arrow_type: pa.DataType, test: str) -> bool:
    """View types exist from pyarrow 16 on; the package supports 15."""
    check = getattr(pa.types, test, None)
    return bool(check and check(arrow_type))


def _decoded(values: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Binary values as UTF-8 text, and which were not UTF-8 (kept with ``\\xNN`` escapes).

    Vectorised when every value is UTF-8 (one cast); value by value only for a
    column that holds a bad one.
    """
    try:
        return pc.cast(values, pa.string()), np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        pass
    text: list[str | None] = []
    bad = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values.to_pylist()):
        if value is None:
            text.append(None)
            continue
        try:
            text.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            text.append(value.decode("utf-8", "backslashreplace"))
            bad[i] = True
    return pa.array(text, pa.string()), bad


def _invalid_utf8(name: str, text: pa.Array, bad: np.ndarray) -> pa.Array:
    shown = pc.utf8_slice_codeunits(text, 0, _SHOWN)
    message = pc.binary_join_element_wise(
        f"{Code.INVALID_UTF8.prefix}{name} holds bytes that are not UTF-8: '", shown, "'", "")
    return pc.if_else(pa.array(bad), message, pa.scalar(None, pa.string()))
