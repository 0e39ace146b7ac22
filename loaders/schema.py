"""The loader's own columns and limits, beside the contract's tables (:mod:`ringwatch.tables`).

A quarantine file adds columns of the loader's own to the rows it keeps; their
names and the limits a row must respect are declared here once.
"""

from __future__ import annotations

#: Column names starting with this belong to the loader: a quarantine file adds its own
#: columns under it, so an input column of any other name is kept in that file as given and
#: can never be overwritten. A snapshot whose header uses the prefix is rejected.
RESERVED_PREFIX = "_ringwatch_"
#: Quarantine column: the 1-based data row of the file (the header is row 0; blank lines are
#: not rows; Parquet rows count from 1).
SOURCE_ROW = f"{RESERVED_PREFIX}source_row"
#: Quarantine column: ``"<code>: <detail>"``, the first reason the row failed for.
REASON = f"{RESERVED_PREFIX}reason"
#: Quarantine column: a CSV record's text, only where it could not be split into the header's
#: columns (``malformed_row``); its column values are then empty.
RAW_LINE = f"{RESERVED_PREFIX}raw_line"
QUARANTINE_COLUMNS = (SOURCE_ROW, REASON, RAW_LINE)

#: The longest value (in UTF-8 bytes) a row may hold in any column. No identifier, time,
#: amount or note is a megabyte long: a longer value is a runaway quote or a corrupt export,
#: and as a graph property it would slow every query that touches its node. Such a row is
#: quarantined (``oversized_value``), the rest of its table loads.
MAX_VALUE_BYTES = 1 << 20
