"""Finding and reading a snapshot's table files (CSV, CSV.gz or Parquet) as Arrow tables.

CSV is read as text in every column, so that a bad value is kept exactly as the
marketplace wrote it (for its quarantine row) instead of failing the read; the
validator parses the text afterwards, vectorised. A loader may first try
:func:`read_table_parsed`, which has pyarrow parse the time columns
as it reads (the same values, at about the cost of the text read), and fall
back to the text read when that read refuses a value or a row turns out bad.

The fast path is one multi-threaded pyarrow read, taken by every clean file.
Only when pyarrow refuses the file is it read again, so that each damaged
record becomes one row with a reason instead of costing the whole table:

- a UTF-8 file with a record of the wrong number of fields, or a record longer
  than pyarrow's block: pyarrow again, single-threaded (so that it numbers the
  records it cannot split) with one block for the file (``malformed_row``);
- a file holding bytes that are not UTF-8: the same, after writing each bad
  byte as ``\\xNN`` behind a marker that flags its row (``invalid_utf8``);
- a file whose header pyarrow and the ``csv`` module read differently:
  record by record with the ``csv`` module, the slowest and rarest path.

The shape check and the read see the same header names: they are normalised
once, here.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ringwatch.domain import QuarantineCode as Code

from .errors import BadHeaderError, MissingTableError, SnapshotError, UnreadableFileError
from .schema import RESERVED_PREFIX

SUFFIXES = (".csv", ".csv.gz", ".parquet")

#: What reading a damaged or truncated file can raise, from pyarrow, gzip, zlib or the OS.
_READ_ERRORS = (pa.ArrowException, OSError, EOFError, zlib.error, csv.Error)


def is_utf8(arrow_type: pa.DataType) -> bool:
    """Whether ``arrow_type`` is text with offsets, ``string`` or ``large_string``: the two
    layouts the loader reads as given (a CSV read's text, pandas' text in Parquet)."""
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
_SHOWN = 80  # characters of a bad value quoted in a reason or message
_BOM = "\ufeff"


@dataclass(frozen=True)
class Header:
    """A table file's column names, normalised, and for Parquet their stored Arrow types."""

    names: tuple[str, ...]
    types: tuple[pa.DataType, ...] | None = None  # None for CSV: every column is text


@dataclass
class RawTable:
    """A table's file as read: one row per data record, in file order.

    ``row_reasons`` holds, per row, why the record could not be read as given
    (``"<code>: <detail>"``; null where it was read fine), and ``raw_lines`` the
    record's text where it could not even be split into the header's columns
    (its column values are then null). ``notes`` are warnings for the load
    summary (a column that could not be loaded). Row ``i`` is data row ``i + 1``.
    """

    path: Path
    table: pa.Table
    row_reasons: pa.Array | pa.ChunkedArray | None = None
    raw_lines: pa.Array | pa.ChunkedArray | None = None
    notes: list[str] = field(default_factory=list)
    #: Per column read as a dictionary (a Parquet column of domain words), its dictionaries'
    #: values: every value the column holds is among them (some may be unused).
    distinct: dict[str, pa.Array] = field(default_factory=dict)
    #: Whether some CSV columns were parsed by the read (:func:`read_table_parsed`): their
    #: text is not kept, so a table with a bad row must be read again as text.
    parsed: bool = False


def find_table_file(snapshot: Path, name: str) -> Path | None:
    """Return the one file holding table ``name``, or None; two candidate files are an error."""
    found = [snapshot / f"{name}{suffix}" for suffix in SUFFIXES]
    found = [p for p in found if p.is_file()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise SnapshotError(f"{snapshot}: table {name} is given twice ({names}); keep one file")
    return found[0] if found else None


def require_table_file(snapshot: Path, name: str) -> Path:
    """Like :func:`find_table_file`, but a missing file is a :class:`MissingTableError`."""
    path = find_table_file(snapshot, name)
    if path is None:
        raise MissingTableError(
            f"{snapshot}: required table {name} is missing "
            f"(expected {name}.csv, {name}.csv.gz or {name}.parquet)"
        )
    return path


def read_header(path: Path) -> Header:
    """Return a table file's normalised column names (and Parquet types) without reading its rows.

    Raises :class:`UnreadableFileError` for a file that is not CSV, gzip or
    Parquet, and :class:`BadHeaderError` for a header that names no column, one
    column twice, or a column of the loader's reserved prefix.
    """
    if path.name.endswith(".parquet"):
        try:
            schema = pq.read_schema(path)
        except _READ_ERRORS as exc:
            raise UnreadableFileError(f"{path}: cannot read the header: {_one_line(exc)}") from exc
        return Header(tuple(normalise_names(path, schema.names)), tuple(schema.types))
    return Header(tuple(normalise_names(path, _csv_header(path))))


def read_columns(path: Path) -> list[str]:
    """Return a table file's column names, normalised as :func:`read_table` names them."""
    return list(read_header(path).names)


def normalise_names(path: Path, given: Sequence[str]) -> list[str]:
    """Strip the white space around each header name; reject a header that is ambiguous.

    The shape check and the read both use these names, so a padded ``" status"``
    is the contract's ``status`` everywhere (it used to pass the check and load
    every row empty). A name given twice, an empty name, a name that is not
    UTF-8 or one under the loader's reserved prefix is a :class:`BadHeaderError`
    naming the positions: guessing which of two ``status`` columns was meant
    would load the wrong data silently.
    """
    names: list[str] = []
    where: dict[str, int] = {}
    for position, raw in enumerate(given, start=1):
        if _has_surrogates(raw):
            raise BadHeaderError(f"{path}: header column {position} is not UTF-8 text: "
                                 f"'{_escaped(raw)[:_SHOWN]}'")
        name = raw.strip()
        if not name:
            raise BadHeaderError(f"{path}: header column {position} has no name")
        if name.startswith(RESERVED_PREFIX):
            raise BadHeaderError(f"{path}: header column {position} '{name}' uses the prefix "
                                 f"{RESERVED_PREFIX}, which is reserved for the loader's own "
                                 "quarantine columns; rename it")
        if name in where:
            raise BadHeaderError(f"{path}: column '{name}' is given twice in the header "
                                 f"(columns {where[name]} and {position}); keep one")
        where[name] = position
        names.append(name)
    return names


def read_table(path: Path, *, dictionary: Sequence[str] = ()) -> RawTable:
    """Read a whole table file; CSV columns come back as text, Parquet columns as stored.

    ``dictionary`` names Parquet text columns to read as dictionaries (columns
    of a few domain words, which Parquet stores so): the read then decodes each
    distinct value once, and the validator checks those values, not every row's.
    Raises :class:`UnreadableFileError` naming the file when it cannot be read
    at all (corrupt gzip, truncated Parquet); a damaged CSV record is a row with
    a reason, never an error.
    """
    if path.name.endswith(".parquet"):
        header = read_header(path)
        names = list(header.names)
        try:
            raw_names = pq.read_schema(path).names
            wanted = set(dictionary)
            as_dictionary = [raw for raw, name, arrow_type in
                             zip(raw_names, names, header.types or (), strict=True)
                             if name in wanted and is_utf8(arrow_type)]
            table = pq.read_table(path, read_dictionary=as_dictionary or None)
        except _READ_ERRORS as exc:
            raise UnreadableFileError(f"{path}: cannot be read: {_one_line(exc)}") from exc
        return RawTable(path, table.rename_columns(names))
    given = _csv_header(path)
    names = normalise_names(path, given)
    data = _decompressed(path) if path.name.endswith(".gz") else None
    fast = _read_csv_fast(path if data is None else pa.py_buffer(data), path, names, given)
    if fast is not None:
        return RawTable(path, fast)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableFileError(f"{path}: cannot be read: {_one_line(exc)}") from exc
    return _read_csv_tolerant(path, data, names, given)


def read_table_parsed(path: Path, types: dict[str, pa.DataType]) -> RawTable | None:
    """A clean CSV file read with the columns ``types`` names (normalised names) parsed by
    pyarrow as it reads, or None where that read cannot stand for :func:`read_table`'s.

    pyarrow parses timestamps while it splits the records, on all its threads,
    for about the cost of copying them as text; parsing the text afterwards
    costs a pass of its own per column. The values are the same as casting the
    text: pyarrow's CSV reader and Arrow's casts share one ISO-8601 parser (and
    one number parser), an empty value is null (``null_values`` is the empty
    string alone, so ``NA`` or ``null`` stay text to be refused), and where the
    reader trims spaces and tabs around a number the validator trims the value
    too. The caller names which columns (the validator's ``parsed_types``: times
    only, whose text cannot exceed the size limit unseen). A value the parser
    refuses fails the read: None, for the text read. So does a file that is not
    plain CSV (gzip, Parquet) or whose header pyarrow reads otherwise than the
    ``csv`` module. The caller reads the file again as text if any row turns out
    bad (:attr:`RawTable.parsed`), since a quarantine row keeps every value as
    given.
    """
    if not path.name.endswith(".csv") or not types:
        return None
    given = _csv_header(path)
    names = normalise_names(path, given)
    # Text as large strings, which pandas keeps as they are (a plain string column costs a
    # copy of its offsets in ``to_pandas``).
    column_types = {raw: types.get(name, pa.large_string())
                    for raw, name in zip(given, names, strict=True)}
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=column_types, null_values=[""], strings_can_be_null=False,
                quoted_strings_can_be_null=True),
        )
    except pa.ArrowInvalid:
        return None
    except _READ_ERRORS as exc:
        raise UnreadableFileError(f"{path}: cannot be read: {_one_line(exc)}") from exc
    if table.column_names != given:
        return None
    return RawTable(path, table.rename_columns(names), parsed=True)


def _read_csv_tolerant(path: Path, data: bytes, names: list[str], given: list[str]) -> RawTable:
    """Read a CSV file the fast read refused; every damaged record becomes a row with a reason."""
    marker, readable = None, data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        marked = _marked(data.decode("utf-8", "surrogateescape"))
        if marked is None:
            return _read_csv_by_record(path, data, names)
        marker, readable = marked
    raw = _read_csv_numbered(path, readable, names, given)
    if raw is None:
        return _read_csv_by_record(path, data, names)
    return raw if marker is None else _flag_marked(raw, marker)


def _decompressed(path: Path) -> bytes:
    """The whole of a ``.csv.gz`` file, decompressed: a truncated or corrupt stream is an error.

    Python's gzip checks the stream's end marker and CRC, so a cut-off download
    is refused instead of loading as a shorter table.
    """
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        raise UnreadableFileError(f"{path}: is not a complete gzip file: {_one_line(exc)}") from exc


def _csv_options(names: list[str]) -> pacsv.ConvertOptions:
    return pacsv.ConvertOptions(column_types={name: pa.string() for name in names},
                                strings_can_be_null=False, quoted_strings_can_be_null=False)


def _read_csv_fast(source: Path | pa.Buffer, path: Path, names: list[str],
                   given: list[str]) -> pa.Table | None:
    """One multi-threaded pyarrow read of a clean file, or None when pyarrow refuses the file.

    The header is read as a data row under the normalised names and dropped, so
    the columns carry the names the shape check saw; it must equal the header
    the ``csv`` module read (``given``), so that both parsers agree on what each
    column is, or the file takes a tolerant path.
    """
    try:
        table = pacsv.read_csv(
            pa.BufferReader(source) if isinstance(source, pa.Buffer) else source,
            read_options=pacsv.ReadOptions(column_names=names),
            convert_options=_csv_options(names),
        )
    except pa.ArrowInvalid:
        return None
    except _READ_ERRORS as exc:
        raise UnreadableFileError(f"{path}: cannot be read: {_one_line(exc)}") from exc
    return _without_header(table, given)


def _without_header(table: pa.Table, given: list[str]) -> pa.Table | None:
    """The table without its first row, if that row is the header the ``csv`` module read."""
    if table.num_rows == 0:
        return None
    header = [table.column(i)[0].as_py() for i in range(table.num_columns)]
    return table.slice(1) if header == given else None


def _read_csv_numbered(path: Path, data: bytes, names: list[str],
                       given: list[str]) -> RawTable | None:
    """Read a UTF-8 CSV with pyarrow that the fast read refused, keeping every malformed record.

    The fast read fails on a record with the wrong number of fields or one
    longer than its block. This read is single-threaded, so that pyarrow numbers
    each malformed record (``number``: its record, the header being 1, blank
    lines not counted), and its block holds the whole file, so no record
    straddles two. The malformed records go back in their place as rows of
    nulls with their text in ``raw_lines``. Returns None when pyarrow's
    numbering cannot be trusted, for the record-by-record read to decide.
    """
    malformed: list[tuple[int | None, str, str]] = []

    def keep(row: pacsv.InvalidRow) -> str:
        detail = f"expected {row.expected_columns} columns, found {row.actual_columns}"
        malformed.append((row.number, row.text, detail))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                           block_size=max(1 << 20, min(len(data) + 1, 1 << 30))),
            parse_options=pacsv.ParseOptions(invalid_row_handler=keep),
            convert_options=_csv_options(names),
        )
    except pa.ArrowInvalid:
        return None
    parsed = _without_header(table, given)
    if parsed is None or any(number is None for number, _, _ in malformed):
        return None
    total = parsed.num_rows + len(malformed)
    at = np.array([number for number, _, _ in malformed], dtype=np.int64) - 2  # 0-based data row
    if len(at) and (at[0] < 0 or at[-1] >= total or np.any(np.diff(at) <= 0)):
        return None
    if not malformed:
        return RawTable(path, parsed)
    is_malformed = np.zeros(total, dtype=bool)
    is_malformed[at] = True
    order = np.empty(total, dtype=np.int64)
    order[~is_malformed] = np.arange(parsed.num_rows)
    order[is_malformed] = parsed.num_rows + np.arange(len(malformed))
    nulls = pa.table({name: pa.nulls(len(malformed), pa.string()) for name in names})
    reasons = np.full(total, None, dtype=object)
    reasons[at] = [f"{Code.MALFORMED_ROW.prefix}{detail}" for _, _, detail in malformed]
    lines = np.full(total, None, dtype=object)
    lines[at] = [text.rstrip("\r\n") for _, text, _ in malformed]
    return RawTable(path, pa.concat_tables([parsed, nulls]).take(pa.array(order)),
                    row_reasons=pa.array(reasons, pa.string()),
                    raw_lines=pa.array(lines, pa.string()))


def _marked(text: str) -> tuple[str, bytes] | None:
    """UTF-8 bytes for a text with bad bytes: each written ``\\xNN`` after a marker character.

    pyarrow can then read the file (it cannot hand a malformed record holding a
    bad byte to its row handler), each value shows its bad bytes as the
    quarantine file will, and the marker, a private-use character the text does
    not hold, tells which values had them. Returns (marker, bytes), or None
    when the text holds every private-use character.
    """
    marker = next((chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text), None)
    if marker is None:
        return None
    fixed = _SURROGATE.sub(lambda bad: f"{marker}\\x{ord(bad.group()) - 0xDC00:02x}", text)
    return marker, fixed.encode("utf-8")


def _flag_marked(raw: RawTable, marker: str) -> RawTable:
    """Quarantine the rows whose values :func:`_marked` marked (``invalid_utf8``, naming the
    first such column) and take the marker out of every value."""
    reasons = raw.row_reasons
    columns = {}
    for name in raw.table.column_names:
        values = raw.table[name]
        marked = pc.fill_null(pc.match_substring(values, marker), False)
        if pc.any(marked).as_py():
            values = pc.replace_substring(values, marker, "")
            shown = pc.utf8_slice_codeunits(values, 0, _SHOWN)
            message = pc.binary_join_element_wise(
                f"{Code.INVALID_UTF8.prefix}{name} holds bytes that are not UTF-8: '", shown, "'", "")
            reasons = first_reasons(reasons, pc.if_else(marked, message,
                                                        pa.scalar(None, pa.string())))
        columns[name] = values
    lines = raw.raw_lines
    if lines is not None:
        lines = pc.replace_substring(lines, marker, "")
    return RawTable(raw.path, pa.table(columns), reasons, lines, raw.notes)


def first_reasons(first: pa.Array | pa.ChunkedArray | None,
                  then: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Per row, the reason already given, else the new one (a row keeps its first reason)."""
    if first is None:
        return then
    return pc.if_else(pc.is_null(first), then, first)


def _csv_header(path: Path) -> list[str]:
    """The first non-blank CSV record as given (BOM removed; bytes that are not UTF-8 kept
    as surrogates, for :func:`normalise_names` to name)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape",
                                    newline="")
            record = next((r for r in csv.reader(text) if r), None)
            text.detach()
    except _READ_ERRORS as exc:
        raise UnreadableFileError(f"{path}: cannot read the header: {_one_line(exc)}") from exc
    if not record:
        raise UnreadableFileError(f"{path}: has no header row")
    return record


def _read_csv_by_record(path: Path, data: bytes, names: list[str]) -> RawTable:
    """Read a CSV record by record with the ``csv`` module: every damaged record becomes a row.

    The last resort, for a file whose header pyarrow reads otherwise than the
    ``csv`` module; it reads the file as the other paths do (a test proves it).
    A record with the wrong number of fields is a ``malformed_row`` (its text
    kept in ``raw_lines``); a record holding bytes that are not UTF-8 is an
    ``invalid_utf8`` row whose values are kept with each bad byte written as
    ``\\xNN``, so the quarantine file stays UTF-8 and still shows the bytes.
    """
    text = data.decode("utf-8", "surrogateescape").removeprefix(_BOM)
    lines = list(io.StringIO(text, newline=""))  # split at \n, \r and \r\n only, as csv does
    width = len(names)
    rows: list[Sequence[str | None]] = []
    reasons: list[str | None] = []
    raw_lines: list[str | None] = []
    reader = csv.reader(lines)
    consumed = 0  # lines the reader has taken: a record is lines[first:consumed]
    header_seen = False
    with _unlimited_csv_fields():
        while True:
            error = None
            try:
                record: list[str] | None = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                record, error = None, str(exc)
            first, consumed = consumed, reader.line_num
            if record == []:  # a blank line is no record (pyarrow skips it too)
                continue
            if not header_seen:
                header_seen = True
                continue
            if record is None or len(record) != width:
                rows.append((None,) * width)
                found = "none" if record is None else len(record)
                reasons.append(f"{Code.MALFORMED_ROW.prefix}expected {width} columns, found {found}"
                               + (f" ({error})" if error else ""))
                raw_lines.append(_escaped("".join(lines[first:consumed]).rstrip("\r\n")))
                continue
            raw_lines.append(None)
            bad = next((i for i, value in enumerate(record) if _SURROGATE.search(value)), None)
            if bad is None:
                rows.append(record)
                reasons.append(None)
                continue
            record = [_escaped(value) for value in record]
            rows.append(record)
            reasons.append(f"{Code.INVALID_UTF8.prefix}{names[bad]} holds bytes that are not UTF-8: "
                           f"'{record[bad][:_SHOWN]}'")
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    table = pa.table({name: pa.array(values, pa.string()) for name, values in
                      zip(names, columns, strict=True)})
    return RawTable(path, table, row_reasons=_nullable(reasons), raw_lines=_nullable(raw_lines))


def _nullable(values: list[str | None]) -> pa.Array | None:
    """The values as an Arrow string array, or None when every one is null (nothing to say)."""
    if all(v is None for v in values):
        return None
    return pa.array(values, pa.string())


_FIELD_LIMIT = threading.Lock()


@contextmanager
def _unlimited_csv_fields() -> Iterator[None]:
    """Let the ``csv`` module read a field of any length, for this read only.

    Its limit (128 KiB) is process-wide; a longer field must be read whole to
    be quarantined as given (``oversized_value``). The lock keeps two
    concurrent reads from restoring each other's setting early; other ``csv``
    users meanwhile only see a more permissive limit.
    """
    with _FIELD_LIMIT:
        old = csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        try:
            yield
        finally:
            csv.field_size_limit(old)


_SURROGATE = re.compile("[\udc80-\udcff]")  # a byte that was not UTF-8, after surrogateescape


def _has_surrogates(text: str) -> bool:
    """Whether text decoded with ``surrogateescape`` held bytes that are not UTF-8."""
    return _SURROGATE.search(text) is not None


def _escaped(text: str) -> str:
    """Text decoded with ``surrogateescape``, its bad bytes written as ``\\xNN`` (valid UTF-8)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
