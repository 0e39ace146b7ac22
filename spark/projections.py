"""The projections of :mod:`ringwatch.graph.projections`, computed by Spark SQL.

Same columns, same meaning, row for row: each function mirrors the local
store's pandas computation of the projection of that name, and
:func:`collect_projection` passes the result through the same
:func:`~ringwatch.graph.projections.normalise`, so the parity test compares
them frame for frame. Money and rates are added as whole units in int64, as
the stores add them (:data:`~ringwatch.graph.projections.UNITS`), so the sums
are exact in any order and equal bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

from ringwatch.domain import MIXED_CURRENCY
from ringwatch.graph.projections import PROJECTIONS, UNITS, normalise, sums_exactly

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

Tables = Mapping[str, "DataFrame"]


def _ms(column: str) -> Column:
    """A timestamp column as epoch milliseconds (null kept), as ``projections.epoch_ms``."""
    from pyspark.sql import functions as F

    return F.unix_millis(F.col(column))


def _creators(t: Tables) -> DataFrame:
    from pyspark.sql import functions as F

    violations = t["violations"].groupBy("creator_id").agg(
        F.count(F.lit(1)).alias("violations"),
        F.sum(F.col("severity").isin("medium", "high").cast("long")).alias("severe_violations"))
    return t["creators"].join(violations, "creator_id", "left").select(
        "creator_id", _ms("registered_at").alias("registered_at_ms"), "agency_id",
        F.coalesce("violations", F.lit(0)).alias("violations"),
        F.coalesce("severe_violations", F.lit(0)).alias("severe_violations"))


def _shops(t: Tables) -> DataFrame:
    return t["shops"].select("shop_id", "seller_id", _ms("registered_at").alias("registered_at_ms"),
                             "category")


def _identity_links(t: Tables) -> DataFrame:
    return t["identity_links"].select(
        "account_type", "account_id", "identifier_type", "identifier", "events",
        _ms("first_seen").alias("first_seen_ms"), _ms("last_seen").alias("last_seen_ms"))


def _units(table: DataFrame, columns: tuple[str, ...]) -> dict[str, Column]:
    """Each money or rate column in whole units (int64) when its table can add it exactly.

    The stores' rule (:func:`~ringwatch.graph.projections.sums_exactly`), decided
    from the same largest value and row count: one small job per table.
    """
    from pyspark.sql import functions as F

    seen = table.agg(F.count(F.lit(1)).alias("rows"),
                     *[F.max(c).alias(f"max_{c}") for c in columns],
                     *[F.sum(F.col(c).isNull().cast("long")).alias(f"missing_{c}")
                       for c in columns]).first()
    units = {}
    for c in columns:
        scaled = F.col(c) * F.lit(UNITS)
        exact = not seen[f"missing_{c}"] and sums_exactly(seen[f"max_{c}"] or 0.0, seen["rows"])
        units[c] = F.rint(scaled).cast("long") if exact else scaled
    return units


def _from_units(column: str) -> Column:
    """A sum of :func:`_units` values back in the values' own unit."""
    from pyspark.sql import functions as F

    return (F.col(column).cast("double") / F.lit(UNITS)).alias(column)


def order_facts(t: Tables) -> DataFrame:
    """Orders with their commissions folded in (as ``projections.order_facts``), money and
    rates in whole units (:func:`_units`)."""
    from pyspark.sql import functions as F

    money = _units(t["orders"], ("amount",))
    paid = _units(t["commissions"], ("amount", "rate"))
    orders = t["orders"].select(
        "order_id", "buyer_id", "shop_id", F.coalesce("creator_id", F.lit("")).alias("creator_id"),
        money["amount"].alias("amount"), "status", "refunded_at",
        F.upper(F.trim(F.coalesce(F.col("currency"), F.lit("")))).alias("currency"))
    commissions = t["commissions"].select(
        "order_id", "status", "created_at", paid["amount"].alias("amount"),
        paid["rate"].alias("rate")).alias("c").join(
        orders.select("order_id", F.col("status").alias("status_order"), "refunded_at"),
        "order_id")
    after = (F.col("c.status").isin("paid", "reversed") & (F.col("status_order") == "refunded")
             & (F.col("created_at") < F.col("refunded_at")))
    per_order = commissions.groupBy("order_id").agg(
        F.count(F.lit(1)).alias("commissions"), F.sum("c.amount").alias("commission_total"),
        F.sum("rate").alias("rate_total"),
        F.max(F.coalesce(after, F.lit(False)).cast("long")).alias("refunded_after_commission"))
    return orders.join(per_order, "order_id", "left").select(
        "order_id", "buyer_id", "shop_id", "creator_id", "amount", "status", "currency",
        F.coalesce("commissions", F.lit(0)).alias("commissions"),
        F.coalesce("commission_total", F.lit(0)).alias("commission_total"),
        F.coalesce("rate_total", F.lit(0)).alias("rate_total"),
        F.coalesce("refunded_after_commission", F.lit(0)).alias("refunded_after_commission"),
        (F.col("status") == "refunded").cast("long").alias("refunded"))


def _currency() -> list[Column]:
    """The group's one currency (``projections.group_currency``): its code, ``""`` or mixed."""
    from pyspark.sql import functions as F

    return [F.min("currency").alias("currency_lo"), F.max("currency").alias("currency_hi")]


def _settled(grouped: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    return grouped.withColumn("currency", F.when(
        F.col("currency_lo") == F.col("currency_hi"), F.col("currency_lo")).otherwise(
        F.lit(MIXED_CURRENCY))).drop("currency_lo", "currency_hi")


def _money_back(grouped: DataFrame, sums: tuple[str, ...]) -> DataFrame:
    """``grouped`` settled (:func:`_settled`), its money and rate sums back from units."""
    settled = _settled(grouped)
    return settled.select(*[_from_units(c) if c in sums else c for c in settled.columns])


def _creator_shop_trade(t: Tables, facts: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    return _money_back(facts.where(F.col("creator_id") != "").groupBy("creator_id", "shop_id").agg(
        F.count(F.lit(1)).alias("orders"), F.sum("amount").alias("gmv"),
        F.sum("refunded").alias("refunded_orders"),
        F.sum("refunded_after_commission").alias("refunded_after_commission"),
        F.sum("commissions").alias("commissions"), F.sum("commission_total").alias("commission_total"),
        F.sum("rate_total").alias("rate_total"), F.countDistinct("buyer_id").alias("buyers"),
        *_currency()), ("gmv", "commission_total", "rate_total"))


def _buyer_orders(t: Tables, facts: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    return _money_back(facts.groupBy("buyer_id", "shop_id", "creator_id").agg(
        F.count(F.lit(1)).alias("orders"), F.sum("amount").alias("gmv"),
        F.sum("refunded").alias("refunded_orders"),
        F.sum("refunded_after_commission").alias("refunded_after_commission"), *_currency()),
        ("gmv",))


def _affiliations(t: Tables) -> DataFrame:
    return t["affiliations"].select("creator_id", "shop_id", "commission_rate",
                                    _ms("started_at").alias("started_at_ms"))


def _allowlist(t: Tables) -> DataFrame:
    return t["allowlist"].select("identifier_type", "identifier", "owner", "reason",
                                 _ms("expires_at").alias("expires_at_ms"))


_SIMPLE: dict[str, Callable[[Tables], DataFrame]] = {
    "creators": _creators, "shops": _shops, "identity_links": _identity_links,
    "affiliations": _affiliations, "allowlist": _allowlist,
}
_FROM_FACTS: dict[str, Callable[[Tables, DataFrame], DataFrame]] = {
    "creator_shop_trade": _creator_shop_trade, "buyer_orders": _buyer_orders,
}


def spark_projections(tables: Tables) -> dict[str, DataFrame]:
    """Every projection of :data:`~ringwatch.graph.projections.PROJECTIONS` as a (lazy) DataFrame.

    The order facts are computed once and cached for the two order projections.
    """
    missing = set(PROJECTIONS) - set(_SIMPLE) - set(_FROM_FACTS)
    if missing:  # a projection added in graph/ without its Spark twin
        raise KeyError(f"no Spark projection for {', '.join(sorted(missing))}")
    facts = order_facts(tables).cache()
    built = {name: make(tables) for name, make in _SIMPLE.items()}
    built |= {name: make(tables, facts) for name, make in _FROM_FACTS.items()}
    return {name: built[name] for name in PROJECTIONS}


def collect_projection(frame: DataFrame, name: str) -> pd.DataFrame:
    """A Spark projection on the driver, cast and sorted as the stores give it (``normalise``)."""
    return normalise(frame.toPandas(), name)
