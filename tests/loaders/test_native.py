"""The compiled kernels give what the numpy and Arrow path gives: the same hashes bit for
bit, the same rows sharing a hash, exactly ``is_in``'s lookups, ``dictionary_encode``'s numbers,
and the same load."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringwatch import native
from ringwatch.loaders import LoadResult, key_hashes, load_snapshot
from ringwatch.loaders.duplicate_keys import repeated_keys

from .conftest import require_compiled

pytestmark = pytest.mark.usefixtures("compiled")

#: Short and long values, multi-byte text, NUL bytes, the 8-to-16-byte ids' own path.
VALUE = st.one_of(st.text(alphabet="ab\x00é\U0001f600", max_size=12), st.text(min_size=7, max_size=40),
                  st.sampled_from(["o_12345678", "12345678", "0123456789abcdef", "x" * 32, "x" * 33]))


@pytest.fixture
def compiled() -> None:
    require_compiled()


def _arrow(values: list[str | None], cut: int, large: bool, skip: int) -> pa.ChunkedArray:
    """The values as a column of two chunks, the first sliced past ``skip`` leading values."""
    kind = pa.large_string() if large else pa.string()
    head = pa.array(["pad"] * skip + values[:cut], kind).slice(skip)
    return pa.chunked_array([head, pa.array(values[cut:], kind)], kind)


def _numpy_hashes(values: pa.ChunkedArray) -> np.ndarray | None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(native, "_LIBRARY", None)
        return key_hashes.column_hashes(values)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.none() | VALUE, max_size=30), st.integers(0, 30), st.booleans(),
       st.integers(0, 3))
def test_hashes_are_the_numpy_paths_bit_for_bit(values: list[str | None], cut: int, large: bool,
                                                 skip: int) -> None:
    column = _arrow(values, cut, large, skip)
    expected = _numpy_hashes(column)
    found = key_hashes.column_hashes(column)
    if expected is None:  # a value longer than the limit: neither path hashes the column
        assert found is None
    else:
        assert found is not None and found.tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 6), max_size=60))
def test_shared_hashes_are_the_hashes_held_twice(hashes: list[int]) -> None:
    array = np.array(hashes, dtype=np.uint64)
    counts = pd.Series(hashes, dtype="uint64").value_counts()
    expected = [counts[h] > 1 for h in hashes]
    shared = native.shared_hashes(array)
    assert shared is not None and shared.tolist() == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab\x00é\U0001f600", max_size=8), max_size=25),
       st.lists(st.none() | VALUE | st.text(alphabet="ab\x00é", max_size=8), max_size=30),
       st.integers(0, 30), st.booleans(), st.booleans(), st.integers(0, 3))
def test_a_set_of_ids_finds_what_is_in_finds(ids: list[str], probes: list[str | None], cut: int,
                                            large_ids: bool, large: bool, skip: int) -> None:
    ids = [i for i in ids if len(i.encode()) <= native.MAX_BYTES]
    if not ids:
        ids = ["a"]
    known = pa.array(["pad"] * skip + ids + ids[:2], pa.large_string() if large_ids
                     else pa.string()).slice(skip)  # sliced, and holding repeats
    assert native.IdSet.holds(known)
    probe = _arrow(probes, cut, large, skip)
    expected = pc.is_in(probe, value_set=known.cast(probe.type)).to_pylist()
    assert native.IdSet(known).contains(probe).tolist() == expected


def _colliding() -> pa.Array:
    """Two different 16-byte values with one hash: the hash is a sum of products, so moving
    the first word by one multiplier and the last by the other cancels out."""
    mw0, mw1 = 0x94D049BB133111EB, 0xD6E8FEB86659FD93
    first, last = int.from_bytes(b"o_abcdef", "little"), int.from_bytes(b"ghijklmn", "little")
    other = ((first - mw1) % 2**64).to_bytes(8, "little") + ((last + mw0) % 2**64).to_bytes(8, "little")
    data = b"o_abcdefghijklmn" + other
    return pa.Array.from_buffers(pa.string(), 2, [None, pa.py_buffer(np.array([0, 16, 32], np.int32)),
                                                  pa.py_buffer(data)])


def test_values_sharing_a_hash_are_told_apart_by_their_bytes() -> None:
    values = _colliding()
    hashes = native.text_hashes(values)
    assert hashes is not None and hashes[0] == hashes[1]
    shared = native.shared_hashes(hashes)
    assert shared is not None and shared.tolist() == [True, True]
    assert native.IdSet(values.slice(0, 1)).contains(values).tolist() == [True, False]
    assert native.IdSet(values.slice(1, 1)).contains(values).tolist() == [False, True]
    assert len(repeated_keys([values], np.ones(2, dtype=bool))) == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "é", "o_12345678", "x" * 32, ""]), max_size=30))
def test_a_set_finds_its_repeated_ids_first_one_wins(ids: list[str]) -> None:
    first: dict[str, int] = {}
    expected = [first.setdefault(value, i) for i, value in enumerate(ids)]
    expected = [-1 if e == i else e for i, e in enumerate(expected)]
    if ids:
        assert native.IdSet(pa.array(ids)).first_of.tolist() == expected
    colliding = native.IdSet(_colliding())
    assert colliding.first_of.tolist() == [-1, -1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab\x00é\U0001f600", max_size=6), min_size=1, max_size=30),
       st.integers(0, 30), st.booleans(), st.integers(0, 3))
def test_numbering_is_dictionary_encodes_and_factorizes(values: list[str], cut: int, large: bool,
                                                        skip: int) -> None:
    column = _arrow(values, cut, large, skip)
    numbered = native.factorize(column)
    assert numbered is not None
    codes, names = numbered
    encoded = pc.dictionary_encode(column).combine_chunks()
    assert codes.tolist() == encoded.indices.to_pylist()
    assert names.to_pylist() == encoded.dictionary.to_pylist() and names.type == column.type
    assert codes.tolist() == pd.factorize(pd.Series(values, dtype="str"))[0].tolist()
    assert native.factorize(pa.array([*values, None])) is None  # a missing value: Arrow's way
    assert native.factorize(pa.array([1, 2])) is None


def test_a_set_takes_only_text_ids_none_missing_none_long() -> None:
    assert native.IdSet.holds(pa.array(["a", "x" * 32]))
    assert not native.IdSet.holds(pa.array(["a", "x" * 33]))
    assert not native.IdSet.holds(pa.array(["a", None]))
    assert not native.IdSet.holds(pa.array([1, 2]))
    assert not native.IdSet.holds(pa.array([], pa.string()))


def _load(snapshot: Path, quarantine: Path, *, compiled: bool) -> LoadResult:
    with pytest.MonkeyPatch.context() as patch:
        if not compiled:
            patch.setattr(native, "_LIBRARY", None)
        return load_snapshot(snapshot, quarantine_dir=quarantine)


@pytest.fixture
def repeated_keys_snapshot(generated_snapshot: Path, tmp_path: Path) -> Path:
    """The generated snapshot with an order and a creator given twice, and nothing else wrong:
    the key checks that read their repeats off the referenced keys' index."""
    copy = tmp_path / "repeated"
    shutil.copytree(generated_snapshot, copy)
    for name in ("orders", "creators"):
        lines = (copy / f"{name}.csv").read_text().splitlines(keepends=True)
        (copy / f"{name}.csv").write_text("".join([*lines, lines[3]]))
    return copy


@pytest.mark.parametrize("which", ["bad_snapshot", "generated_snapshot", "repeated_keys_snapshot"])
def test_a_load_is_the_same_on_both_paths(which: str, request: pytest.FixtureRequest,
                                          tmp_path: Path) -> None:
    snapshot = request.getfixturevalue(which)
    plain = _load(snapshot, tmp_path / "numpy", compiled=False)
    fast = _load(snapshot, tmp_path / "compiled", compiled=True)
    assert fast.summary.as_dict()["tables"] == plain.summary.as_dict()["tables"]
    for name, frame in plain.snapshot.tables.items():
        pd.testing.assert_frame_equal(fast.snapshot[name], frame)
    files = sorted(p.name for p in (tmp_path / "numpy").glob("*.csv"))
    assert files == sorted(p.name for p in (tmp_path / "compiled").glob("*.csv"))
    for name in files:
        assert (tmp_path / "compiled" / name).read_text() == (tmp_path / "numpy" / name).read_text()
    if which == "repeated_keys_snapshot":
        for name in ("orders", "creators"):
            assert plain.summary.table(name).reasons == {"duplicate_key": 1}
    if which == "bad_snapshot":  # the damaged snapshot's repeats and unknown ids were found
        links = plain.summary.table("identity_links").reasons
        assert links.get("duplicate_key", 0) > 0 and links.get("unknown_reference", 0) > 0
