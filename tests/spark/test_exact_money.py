"""Money sums are exact on Spark and in process: the same bits whatever the order of addition.

A float sum depends on its order: one large amount and a thousand tiny ones
lose the tiny ones to rounding one by one when added naively (as Spark's
``sum`` does) and keep them with compensated summation (pandas). Both engines
add whole micro-units in int64 instead, so both give the exact total.
"""

from __future__ import annotations

import pandas as pd

from ringwatch.graph.projections import from_tables
from ringwatch.spark.projections import _buyer_orders, _creator_shop_trade, collect_projection, order_facts


def _tables() -> dict[str, pd.DataFrame]:
    amounts = [8e9] + [0.000001] * 999 + [0.1, 0.2, 0.3]
    n = len(amounts)
    orders = pd.DataFrame({
        "order_id": [f"o{i:04d}" for i in range(n)], "buyer_id": ["b1", "b2"] * (n // 2) + ["b1"] * (n % 2),
        "shop_id": "s1", "creator_id": "c1", "amount": amounts, "status": "completed",
        "refunded_at": pd.Series([pd.NaT] * n, dtype="datetime64[us, UTC]"), "currency": "USD"})
    commissions = pd.DataFrame({
        "order_id": orders["order_id"], "status": "paid",
        "created_at": pd.Timestamp("2026-01-01", tz="UTC"),
        "amount": [a * 0.1 for a in amounts], "rate": 0.1})
    return {"orders": orders, "commissions": commissions}


def test_money_sums_are_exact_and_equal_on_both_engines(spark) -> None:
    tables = _tables()
    # Spark's rows in another order than pandas', over several partitions.
    on_spark = {name: spark.createDataFrame(frame.iloc[::-1].reset_index(drop=True)).repartition(3)
                for name, frame in tables.items()}
    facts = order_facts(on_spark)
    for name, make in (("creator_shop_trade", _creator_shop_trade), ("buyer_orders", _buyer_orders)):
        expected = from_tables(tables, name)
        got = collect_projection(make(on_spark, facts), name)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)
    trade = from_tables(tables, "creator_shop_trade")
    assert trade["gmv"].tolist() == [(8 * 10**15 + 999 + 600_000) / 10**6]  # every micro-unit kept
    assert trade["rate_total"].tolist() == [round(0.1 * len(tables["orders"]), 6)]
