"""The projections' row order: Arrow's key sort gives what pandas' stable sort gives."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from ringwatch.graph.projections import key_order, normalise

ids = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["creator", "buyer", "seller"]), ids,
                          st.sampled_from(["device", "ip", "payout_account"]), ids,
                          st.integers(0, 5)), max_size=40))
def test_key_order_matches_a_stable_sort(rows: list[tuple[str, str, str, str, int]]) -> None:
    frame = pd.DataFrame(rows, columns=["account_type", "account_id", "identifier_type",
                                        "identifier", "events"]).astype(
        {"account_type": "str", "account_id": "str", "identifier_type": "str",
         "identifier": "str"})
    key = ("account_type", "account_id", "identifier_type", "identifier")
    expected = frame.sort_values(list(key), kind="stable").index.to_numpy()
    assert frame.index[key_order(frame, key)].tolist() == expected.tolist()


def test_normalise_sorts_non_ascii_ids_by_code_point() -> None:
    frame = pd.DataFrame({"identifier_type": ["ip", "ip", "ip", "device"],
                          "identifier": ["é", "z", "Z", "ß"], "owner": "", "reason": "",
                          "expires_at_ms": None})
    out = normalise(frame, "allowlist")
    assert out[["identifier_type", "identifier"]].values.tolist() == [
        ["device", "ß"], ["ip", "Z"], ["ip", "z"], ["ip", "é"]]


def _arrow_sort(frame: pd.DataFrame, key: tuple[str, ...]) -> list[int]:
    """Arrow's stable sort of every key column as text: what key_order's folding must equal."""
    columns = pa.table({c: pa.Array.from_pandas(frame[c]) for c in key})
    return pc.sort_indices(columns, sort_keys=[(c, "ascending") for c in key]).to_pylist()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["creator", "buyer", None]), st.one_of(st.none(), ids),
                          st.sampled_from(["device", "ip"]), ids), max_size=40),
       st.integers(1, 4))
def test_key_order_folding_the_leading_columns_is_arrows_sort(
        rows: list[tuple[str | None, str | None, str, str]], width: int) -> None:
    frame = pd.DataFrame(rows, columns=["account_type", "account_id", "identifier_type",
                                        "identifier"], dtype="str")
    key = ("account_type", "account_id", "identifier_type", "identifier")[-width:]
    assert key_order(frame, key).tolist() == _arrow_sort(frame, key)


def test_key_order_keeps_the_given_order_of_rows_with_equal_keys() -> None:
    frame = pd.DataFrame({"a": ["y", "x", "y", "x", "x"], "b": ["1", "2", "1", "2", "0"]},
                         dtype="str")
    assert key_order(frame, ("a", "b")).tolist() == [4, 1, 3, 0, 2]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["creator", "buyer", "seller"]), ids,
                          st.sampled_from(["device", "ip", "payout_account"]), ids,
                          st.integers(0, 5), st.one_of(st.none(), st.integers(0, 10**12))),
                max_size=40))
def test_normalise_rebuilds_ranked_columns_as_a_plain_take_would(
        rows: list[tuple[str, str, str, str, int, int | None]]) -> None:
    """The identity links' lead key columns come back rebuilt from their sorted distinct values;
    every column, dtype and row must be what sorting and taking every column gives."""
    frame = pd.DataFrame(rows, columns=["account_type", "account_id", "identifier_type",
                                        "identifier", "events", "first_seen_ms"])
    frame["last_seen_ms"] = frame["first_seen_ms"]
    out = normalise(frame, "identity_links")
    typed = normalise(frame.iloc[:0], "identity_links").dtypes
    key = ["account_type", "account_id", "identifier_type", "identifier"]
    expected = frame.astype({c: "str" for c in key}).sort_values(key, kind="stable")
    assert out.dtypes.equals(typed)
    assert list(out.columns) == list(typed.index)
    assert out.index.equals(pd.RangeIndex(len(frame)))
    for column in [*key, "events"]:
        assert out[column].tolist() == expected[column].tolist()
    assert out["first_seen_ms"].astype("float64").fillna(-1).tolist() == \
        expected["first_seen_ms"].astype("float64").fillna(-1).tolist()
