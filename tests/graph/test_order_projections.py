"""The order projections, computed on integer codes, equal a plain pandas group-by on the ids.

``creator_shop_trade`` and ``buyer_orders`` join orders to commissions and group
by ids as integer codes (graph/projections.py); the oracle here is the
straightforward computation on the text ids that the store used before, kept
as the definition of what the projections hold. Random markets reach the edge
cases: organic orders, repeated buyers, commissions for unknown orders, mixed,
missing and lower-case currencies, refunds before and after the commission.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ringwatch.graph.projections import (
    from_tables,
    group_currency,
    normalise,
    order_currency,
)

ids = st.sampled_from(["a", "b", "é", "B", "a1"])
times = st.integers(1_700_000_000, 1_700_000_100).map(lambda s: pd.Timestamp(s, unit="s", tz="UTC"))
orders = st.lists(st.tuples(ids, ids, st.sampled_from(["", "a", "b", "ß"]),
                            st.floats(0, 1000, allow_nan=False).map(lambda x: round(x, 2)),
                            st.sampled_from(["USD", "usd", "EUR", "", " usd "]),
                            st.sampled_from(["completed", "refunded", "cancelled"]),
                            st.none() | times), max_size=30)
commissions = st.lists(st.tuples(st.integers(0, 12), st.floats(0, 50, allow_nan=False),
                                 st.floats(0, 1, allow_nan=False), times,
                                 st.sampled_from(["pending", "paid", "reversed"])), max_size=30)


def _tables(order_rows: list[tuple], commission_rows: list[tuple]) -> dict[str, pd.DataFrame]:
    o = pd.DataFrame(order_rows, columns=["buyer_id", "shop_id", "creator_id", "amount", "currency",
                                          "status", "refunded_at"])
    o.insert(0, "order_id", [f"o{i}" for i in range(len(o))])
    o["creator_id"] = o["creator_id"].replace("", None)
    o["refunded_at"] = pd.to_datetime(o["refunded_at"], utc=True)
    o = o.astype({"order_id": "str", "buyer_id": "str", "shop_id": "str", "creator_id": "str",
                  "currency": "str", "status": "str", "amount": "float64"})
    c = pd.DataFrame(commission_rows, columns=["order", "amount", "rate", "created_at", "status"])
    c.insert(0, "order_id", [f"o{i}" for i in c.pop("order")])
    c["created_at"] = pd.to_datetime(c["created_at"], utc=True)
    c = c.astype({"order_id": "str", "status": "str", "amount": "float64", "rate": "float64"})
    return {"orders": o, "commissions": c}


def _to_micro(values: pd.Series) -> pd.Series:
    """Money and rates count to six decimals, each value before it is added (graph.projections.UNITS)."""
    return np.rint(values * 1e6) / 1e6


def _reference_facts(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Orders with their commissions folded in, on the text ids (the oracle)."""
    orders = t["orders"].assign(currency=order_currency(t["orders"]["currency"]),
                                amount=_to_micro(t["orders"]["amount"]))
    commissions = t["commissions"].assign(amount=_to_micro(t["commissions"]["amount"]),
                                          rate=_to_micro(t["commissions"]["rate"]))
    commissions = commissions.merge(orders[["order_id", "refunded_at", "status"]],
                                    on="order_id", suffixes=("", "_order"))
    after = (commissions["status"].isin(["paid", "reversed"])
             & (commissions["status_order"] == "refunded")
             & (commissions["created_at"] < commissions["refunded_at"]))
    per_order = commissions.assign(after=after).groupby("order_id").agg(
        commissions=("amount", "size"), commission_total=("amount", "sum"),
        rate_total=("rate", "sum"), after=("after", "any"))
    facts = orders.merge(per_order, left_on="order_id", right_index=True, how="left")
    facts["commissions"] = facts["commissions"].fillna(0).astype(np.int64)
    facts["commission_total"] = facts["commission_total"].fillna(0.0)
    facts["rate_total"] = facts["rate_total"].fillna(0.0)
    facts["refunded_after_commission"] = facts["after"].astype("boolean").fillna(False).astype(int)
    facts["refunded"] = (facts["status"] == "refunded").astype(np.int64)
    facts["creator_id"] = facts["creator_id"].fillna("")
    return facts


def _reference(t: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    facts = _reference_facts(t)
    if name == "creator_shop_trade":
        facts = facts[facts["creator_id"] != ""]
        keys = ["creator_id", "shop_id"]
        extra = dict(commissions=("commissions", "sum"),
                     commission_total=("commission_total", "sum"),
                     rate_total=("rate_total", "sum"), buyers=("buyer_id", "nunique"))
    else:
        keys, extra = ["buyer_id", "shop_id", "creator_id"], {}
    grouped = facts.groupby(keys, sort=False).agg(
        orders=("order_id", "size"), gmv=("amount", "sum"), refunded_orders=("refunded", "sum"),
        refunded_after_commission=("refunded_after_commission", "sum"), **extra)
    grouped["currency"] = group_currency(facts, keys) if len(facts) else []
    return normalise(grouped.reset_index(), name)


@settings(max_examples=120, deadline=None)
@given(orders, commissions)
def test_order_projections_equal_a_group_by_on_the_ids(order_rows: list[tuple],
                                                       commission_rows: list[tuple]) -> None:
    t = _tables(order_rows, commission_rows)
    for name in ("creator_shop_trade", "buyer_orders"):
        pd.testing.assert_frame_equal(from_tables(t, name), _reference(t, name), check_exact=True)


def test_a_refund_after_a_settled_commission_counts_once_per_order() -> None:
    refund, before = pd.Timestamp("2026-01-02", tz="UTC"), pd.Timestamp("2026-01-01", tz="UTC")
    t = _tables([("b", "s", "c", 10.0, "USD", "refunded", refund),
                 ("b", "s", "c", 5.0, "usd", "refunded", refund),
                 ("b", "s", "c", 5.0, "USD", "refunded", refund)],
                [(0, 1.0, 0.1, before, "paid"), (0, 2.0, 0.2, before, "reversed"),
                 (1, 1.0, 0.1, before, "reversed"), (2, 1.0, 0.1, before, "pending")])
    trade = from_tables(t, "creator_shop_trade")
    assert trade[["orders", "refunded_after_commission", "commissions", "buyers"]].values.tolist() \
        == [[3, 2, 4, 1]]
    assert trade["commission_total"].tolist() == [5.0]
    assert trade["currency"].tolist() == ["USD"]


def test_the_left_join_on_codes_is_a_pandas_left_join_filled() -> None:
    from ringwatch.graph.projections import _left_join_on_codes

    right = pd.DataFrame({"n": [2, 5], "total": [2 ** 60 + 1, 7], "money": [1.5, float("nan")],
                          "flag": [True, False]}, index=pd.Index([3, 9]))
    codes = np.array([9, 0, 3, 3, 12])
    joined = _left_join_on_codes(codes, right, {"n": 0, "total": 0, "money": 0, "flag": False})
    merged = pd.DataFrame({"code": codes}).merge(right, left_on="code", right_index=True,
                                                 how="left")
    assert joined["n"].tolist() == merged["n"].fillna(0).astype(int).tolist() == [5, 0, 2, 2, 0]
    assert joined["total"].dtype == np.int64 and joined["total"].tolist() == [7, 0, 2 ** 60 + 1,
                                                                              2 ** 60 + 1, 0]
    assert joined["money"].tolist() == [0.0, 0.0, 1.5, 1.5, 0.0]
    assert joined["flag"].tolist() == [False, False, True, True, False]
    empty = _left_join_on_codes(codes, right.iloc[:0], {"n": 0})
    assert empty["n"].tolist() == [0] * 5
