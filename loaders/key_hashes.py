"""64-bit hashes of short values, computed from their Arrow buffers, to narrow a key check cheaply.

A snapshot's keys are short opaque ids (``o_x0jc4080av``). Arrow compares them
by inserting every value into a hash table, which costs about as much per
value as parsing it from the CSV did. For a value of at most
:data:`MAX_BYTES` bytes, its bytes (zero-padded) are read as a few 64-bit
words straight from the column's offsets and data buffers, and mixed with its
length into one 64-bit hash, a handful of vectorised numpy passes per chunk
of rows. Equal values have equal hashes, so rows whose hash no other row has
need no further look; the few that share one are compared exactly by the
caller. A column with a longer value, or of a type other than text, integer
or 64-bit temporal, gets no hashes and its caller compares it with Arrow.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ringwatch import native

from .read import is_utf8

#: The longest text value (in UTF-8 bytes) hashed here; ids are far shorter.
MAX_BYTES = 32
#: ``_MASKS[w][length + 1]`` keeps the bytes of word ``w`` that a value of ``length`` bytes
#: fills (none for a null, whose length is -1).
_MASKS = np.array([[(1 << (8 * min(max(length - 8 * w, 0), 8))) - 1
                    for length in range(-1, MAX_BYTES + 1)]
                   for w in range(MAX_BYTES // 8)], dtype=np.uint64)
#: Odd multipliers: one for the length, one per word. The hash is their sum of products
#: (wrapping): values that differ in one word never collide (an odd multiplier is invertible
#: modulo 2**64), and the rare values that collide otherwise are told apart by the caller's
#: exact comparison. Only equality is asked of a hash (by sorting), so no mixing is needed.
_MULTIPLIERS = np.array([0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93,
                         0xA0761D6478BD642F, 0xE7037ED1A0B428DB], dtype=np.uint64)


def column_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """One uint64 per value (equal values, equal hashes; every null alike), or None when
    a value is longer than :data:`MAX_BYTES` or the type is not one hashed here."""
    arrow_type = values.type
    if is_utf8(arrow_type):
        return _text_hashes(values)
    if pa.types.is_integer(arrow_type) or (pa.types.is_temporal(arrow_type)
                                           and arrow_type.bit_width == 64):
        return _integer_hashes(values)
    return None


def key_hashes(columns: list[np.ndarray]) -> np.ndarray:
    """One hash per row for a key of several columns, from each column's hashes."""
    hashes = columns[0].copy()
    for more in columns[1:]:
        hashes *= _MULTIPLIERS[1]
        hashes += more
    return hashes


def _text_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    if native.available():  # the same hashes, in one pass per chunk
        hashed = []
        for chunk in chunks:
            if len(chunk):
                part = native.text_hashes(chunk)
                if part is None:
                    return None
                hashed.append(part)
        return np.concatenate(hashed) if hashed else np.zeros(0, np.uint64)
    bounds = pc.min_max(pc.binary_length(values))
    shortest, longest = bounds["min"].as_py() or 0, bounds["max"].as_py() or 0
    if longest > MAX_BYTES:
        return None
    width = max(1, -(-longest // 8))
    # Ids of 8 to 16 bytes (nearly every id) take two word reads each and no masks.
    two_words = shortest >= _TWO_WORDS[0] and longest <= _TWO_WORDS[1] and not values.null_count
    parts = [_two_word_hashes(chunk) if two_words else _chunk_hashes(chunk, width)
             for chunk in chunks if len(chunk)]
    return np.concatenate(parts) if parts else np.zeros(0, np.uint64)


#: The lengths (bytes) hashed from two words, the first eight bytes and the last eight: the
#: two overlap or meet, so they hold every byte, and need no mask.
_TWO_WORDS = (8, 16)


def _chunk_words(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chunk's offsets, its data bytes and a view of those as an unaligned word at
    every byte (empty when the data holds fewer than eight bytes)."""
    _, offsets_buffer, data_buffer = chunk.buffers()
    offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, offset_type)[chunk.offset:chunk.offset + len(chunk) + 1]
    data = np.zeros(0, np.uint8) if data_buffer is None else np.frombuffer(data_buffer, np.uint8)
    words = np.ndarray((max(len(data) - 7, 0),), dtype="<u8", buffer=data, strides=(1,)) \
        if len(data) >= 8 else np.zeros(0, "<u8")
    return offsets, data, words


def _two_word_hashes(chunk: pa.Array, rows: np.ndarray | None = None) -> np.ndarray:
    """Hashes of values of 8 to 16 bytes (of the chunk, or of its ``rows``): length, first
    word and last word, each times its multiplier. A pure function of the value, as the
    general path's is: :func:`_chunk_hashes` gives these values the same hashes."""
    offsets, _, words = _chunk_words(chunk)
    starts, ends = offsets[:-1], offsets[1:]
    if rows is not None:
        starts, ends = starts[rows], ends[rows]
    hashes = words[starts] * _MULTIPLIERS[1]
    last = words[ends - 8]
    last *= _MULTIPLIERS[2]
    hashes += last
    hashes += (ends - starts + 1).astype(np.uint64) * _MULTIPLIERS[0]
    return hashes


def _chunk_hashes(chunk: pa.Array, width: int) -> np.ndarray:
    """One chunk's hashes, read in place from its buffers (a chunk is a block of rows: its
    temporaries stay in cache, and nothing of the column is copied)."""
    n = len(chunk)
    _, offsets_buffer, data_buffer = chunk.buffers()
    offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, offset_type)[chunk.offset:chunk.offset + n + 1]
    starts = offsets[:-1].astype(np.intp)
    # The mask row of each value: its length + 1, or 0 for a null.
    mask_rows = (np.diff(offsets) + 1).astype(np.intp)
    if chunk.null_count:
        mask_rows[~chunk.is_valid().to_numpy(zero_copy_only=False)] = 0
    hashes = mask_rows.astype(np.uint64) * _MULTIPLIERS[0]
    data = np.zeros(0, np.uint8) if data_buffer is None else np.frombuffer(data_buffer, np.uint8)
    # Eight bytes starting at a byte of the data, as one little-endian word: the words that
    # would run past the buffer's end are read from a small zero-padded copy of its tail.
    tail_from = max(0, len(data) - 8 * (width + 1))
    tail = np.zeros(len(data) - tail_from + 8 * (width + 1), np.uint8)
    tail[:len(data) - tail_from] = data[tail_from:]
    tail_words = np.ndarray((len(tail) - 7,), dtype="<u8", buffer=tail, strides=(1,))
    words = np.ndarray((max(len(data) - 7, 0),), dtype="<u8", buffer=data, strides=(1,)) \
        if len(data) >= 8 else tail_words[:0]
    for w in range(width):
        at = starts + 8 * w if w else starts
        inside = int(np.searchsorted(at, len(words), side="left"))  # starts ascend
        word = np.empty(n, dtype=np.uint64)
        word[:inside] = words[at[:inside]]
        word[inside:] = tail_words[at[inside:] - tail_from]
        word &= _MASKS[w][mask_rows]
        word *= _MULTIPLIERS[w + 1]
        hashes += word
    lengths = mask_rows - 1
    fits = np.flatnonzero((lengths >= _TWO_WORDS[0]) & (lengths <= _TWO_WORDS[1]))
    if len(fits):  # the values of 8 to 16 bytes hash as :func:`_two_word_hashes` has them
        hashes[fits] = _two_word_hashes(chunk, fits)
    return hashes


def _integer_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    numbers = pc.fill_null(pc.cast(values, pa.int64(), safe=False), 0).to_numpy()
    valid = pc.is_valid(values).to_numpy(zero_copy_only=False)
    hashes = numbers.view(np.uint64) * _MULTIPLIERS[1]
    hashes += valid.astype(np.uint64) * _MULTIPLIERS[0]
    return hashes
