"""Whether a text column holds a value padded with white space, read off its Arrow buffers.

The validator trims a padded column (and, for identifiers, looks for values
made of blanks), but almost no column is padded, so the question is asked of
every text column of every table. Trimming the whole column to compare lengths
answers it by copying every value; here only the first and last byte of each
value are looked at, straight from the offsets and data buffers.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def has_padded_value(text: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any non-null value starts or ends with ASCII white space.

    The same answer as comparing the lengths before and after
    ``pc.ascii_trim_whitespace`` (the question the validator asked before).

    >>> import pyarrow as pa
    >>> has_padded_value(pa.array(["a", None, "b "])), has_padded_value(pa.array(["a b", ""]))
    (True, False)
    """
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    return any(_chunk_padded(chunk) for chunk in chunks)


def _chunk_padded(chunk: pa.Array) -> bool:
    if pa.types.is_string(chunk.type):
        offset_type = np.int32
    elif pa.types.is_large_string(chunk.type):
        offset_type = np.int64
    else:  # another text layout (a view): ask Arrow
        return _trim_changes(chunk)
    if len(chunk) == 0:
        return False
    _, offsets_buffer, data_buffer = chunk.buffers()
    if data_buffer is None or data_buffer.size == 0:
        return False  # every value is empty or null
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[chunk.offset:chunk.offset + len(chunk) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    # Every white space byte is below 33: a chunk whose bytes are all above (ids, words, numbers,
    # times) holds no padded value, which one SIMD pass over its bytes tells, about ten times
    # faster than gathering each value's first and last byte.
    if int(offsets[-1]) <= int(offsets[0]) or \
            int(data[int(offsets[0]):int(offsets[-1])].min()) > _HIGHEST_SPACE:
        return False
    last = len(data) - 1
    # Every value's first and last byte, unmasked: an empty value's "first byte" is its
    # neighbour's, which is looked at anyway, so a clean column is never flagged; only a
    # null slot holding bytes could be, and the exact check below settles that case.
    if not _any_space(data.take(np.minimum(offsets[:-1], last))) and \
            not _any_space(data.take(np.maximum(offsets[1:] - 1, 0))):
        return False
    return _trim_changes(chunk)


#: The highest byte Arrow's ``ascii_trim_whitespace`` removes (space; the others are 9 to 13).
_HIGHEST_SPACE = 32


def _any_space(chars: np.ndarray) -> bool:
    """Whether any byte is one Arrow's ``ascii_trim_whitespace`` removes: tab, LF, VT, FF, CR
    (9 to 13) or space."""
    return bool(((chars - np.uint8(9)) <= 4).any() or (chars == 32).any())


def _trim_changes(chunk: pa.Array) -> bool:
    """The exact question, asked of Arrow: does trimming ASCII white space shorten a value?"""
    trimmed = pc.ascii_trim_whitespace(chunk)
    return pc.sum(pc.binary_length(trimmed)).as_py() != pc.sum(pc.binary_length(chunk)).as_py()
