"""The loader's vectorised helpers give the answers of the plain definitions they replace, on
both of its paths (compiled and numpy: tests/loaders/conftest.py)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringwatch.loaders.duplicate_keys import repeated_keys
from ringwatch.loaders.key_hashes import column_hashes
from ringwatch.loaders.padded_text import has_padded_value

pytestmark = pytest.mark.usefixtures("check_path")

TEXT = st.one_of(st.none(), st.sampled_from(["", " ", "a", "a ", " a", "\t", "b\n", "é", "\u3000x"]),
                 st.text(max_size=6))


def _first_wins(rows: list[tuple], eligible: list[bool]) -> tuple[list[int], list[int]]:
    """The definition: an eligible row repeats the first eligible row with the same key."""
    first: dict[tuple, int] = {}
    repeats, winners = [], []
    for i, (key, ok) in enumerate(zip(rows, eligible, strict=True)):
        if not ok:
            continue
        if key in first:
            repeats.append(i)
            winners.append(first[key])
        else:
            first[key] = i
    return repeats, winners


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(1, 3).flatmap(lambda width: st.lists(
    st.tuples(st.tuples(*[st.one_of(st.none(), st.sampled_from(["a", "b", "c", "", "a\x00"]))] * width),
              st.booleans()), max_size=40)), st.integers(1, 4), st.sampled_from(["", "é" * 20]))
def test_repeated_keys_finds_every_repeat_and_the_row_it_repeats(rows, chunks, prefix) -> None:
    """Short values take the hashed path, values over 32 bytes (the prefix) Arrow's codes."""
    keys = [tuple(None if v is None else prefix + v for v in key) for key, _ in rows]
    eligible = [ok for _, ok in rows]
    width = len(keys[0]) if keys else 1
    columns = []
    for c in range(width):
        values = [key[c] for key in keys]
        cut = [len(values) * i // chunks for i in range(chunks + 1)]
        columns.append(pa.chunked_array([pa.array(values[a:b], pa.string())
                                         for a, b in pairwise(cut)], pa.string()))
    found = repeated_keys(columns, np.array(eligible, dtype=bool))
    assert (found.rows.tolist(), found.first.tolist()) == _first_wins(keys, eligible)


def test_repeated_keys_compares_typed_values_and_wide_keys() -> None:
    stamps = pa.array([1, 2, 1, None, None], pa.timestamp("us", tz="UTC"))
    ids = pa.array(["a", "b", "a", "c", "c"])
    found = repeated_keys([stamps, ids], np.ones(5, dtype=bool))
    assert found.rows.tolist() == [2, 4] and found.first.tolist() == [0, 3]
    # Four columns of 50,000 distinct values: the product of their code counts passes 2**62.
    n = 50_000
    wide = [pa.array([f"{c}-{i}" for i in range(n)] + [f"{c}-7"]) for c in range(4)]
    found = repeated_keys(wide, np.ones(n + 1, dtype=bool))
    assert found.rows.tolist() == [n] and found.first.tolist() == [7]


def test_equal_values_hash_alike_however_the_column_is_cut() -> None:
    values = ["o_1", "o_12345678", None, "", "o_1", "a" * 32, "o_12345678"] * 3
    whole = column_hashes(pa.array(values))
    chunked = column_hashes(pa.chunked_array([pa.array(values[:5]), pa.array(values[5:])]))
    sliced = column_hashes(pa.array(["zz", *values]).slice(1))
    assert whole is not None and chunked is not None and sliced is not None
    assert whole.tolist() == chunked.tolist() == sliced.tolist()
    distinct = {v: h for v, h in zip(values, whole.tolist(), strict=True)}
    assert len(set(distinct.values())) == len(distinct)  # these few distinct values do not collide
    assert column_hashes(pa.array(["a" * 33])) is None  # too long: Arrow compares it


def test_a_value_hashes_alike_whatever_else_its_column_holds() -> None:
    # Ids of 8 to 16 bytes alone take a shorter path than a column that also holds a short,
    # a long or a missing value; a reference check compares hashes across two columns.
    ids = ["o_12345678", "b_pykbg1g2bg", "sel_jpth7dz640", "12345678", "0123456789abcdef"]
    alone = column_hashes(pa.array(ids))
    for other in (["x"], ["y" * 20], [None], ["", "z" * 17]):
        mixed = column_hashes(pa.chunked_array([pa.array(other + ids), pa.array(ids[::-1])]))
        assert alone is not None and mixed is not None
        n = len(other)
        assert mixed[n:n + len(ids)].tolist() == alone.tolist()
        assert mixed[n + len(ids):].tolist() == alone.tolist()[::-1]
    assert len(set(alone.tolist())) == len(ids)


def _trimmed_differs(values: pa.Array | pa.ChunkedArray) -> bool:
    trimmed = pc.ascii_trim_whitespace(values)
    return pc.sum(pc.binary_length(trimmed)).as_py() != pc.sum(pc.binary_length(values)).as_py()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(TEXT, max_size=12), st.integers(0, 3), st.booleans())
def test_padding_is_found_exactly_as_trimming_finds_it(values, cut, large) -> None:
    arrow_type = pa.large_string() if large else pa.string()
    whole = pa.array(values, arrow_type)
    sliced = whole.slice(min(cut, len(values)))  # an array that starts inside its buffers
    chunked = pa.chunked_array([whole, sliced], arrow_type)
    for array in (whole, sliced, chunked):
        assert has_padded_value(array) == _trimmed_differs(array)


def test_every_byte_arrow_trims_counts_as_padding_and_no_other() -> None:
    for byte in range(128):
        value = pa.array(["a" + chr(byte)])
        assert has_padded_value(value) == (byte in (9, 10, 11, 12, 13, 32)), byte
