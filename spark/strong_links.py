"""Strong links on Spark: the detector's own pair rules per bucket of identifiers.

Every rule of :func:`ringwatch.detectors.identity_rings.strong_links` reads
one identifier's links at a time (the sharing cap, the rarity weight, the
lockstep replacement, the everyday discount, studio kit), given three
market-wide facts (:mod:`.identity_market`). So the links are shuffled once by
``hash(ident)`` into buckets, and each bucket runs the detector's functions
on its links through ``groupBy(bucket).applyInPandas``:

1. when some creator has an agency, :func:`~ringwatch.detectors.identity_rings.studio_kit_counts`
   of each bucket's pairs, summed by Spark into the market's counts;
2. :func:`~ringwatch.detectors.identity_rings.strong_links` of each bucket with
   the market's facts: that bucket's rows of the market's strong links.

The rows carry ``stepped`` (the identifier is in lockstep) and ``order`` (the
row within its bucket's result): the in-process order is ``stepped``, then
``ident``, then ``order`` (:data:`ORDER`), which the per-component stage
restores before it reads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ringwatch.detectors.config import IdentityConfig
from ringwatch.detectors.context import MarketContext
from ringwatch.detectors.identity_rings import linked_pairs, strong_links, studio_kit_counts

from .identity_market import SparkIdentityFacts

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Columns of the strong links, as :func:`strong_links` gives them.
STRONG_COLUMNS = ("a", "b", "ident", "identifier_type", "weight", "sharing", "decisive")
#: The in-process row order of the strong links.
ORDER = ("stepped", "ident", "order")
_SCHEMA = ("a string, b string, ident string, identifier_type string, weight double, "
           "sharing long, decisive boolean, stepped boolean, order long")


def strong_links_on_spark(links: DataFrame, facts: SparkIdentityFacts, creators: pd.DataFrame,
                          config: IdentityConfig, *, buckets: int | None = None) -> DataFrame:
    """The market's strong links from ``links`` (:func:`.identity_market.context_links`), lazily.

    ``creators`` is the creators projection (registration times and agencies:
    one row per creator, broadcast). ``buckets`` defaults to
    ``spark.sql.shuffle.partitions``. Sorted by :data:`ORDER`, the rows equal
    ``strong_links(ctx, config)``'s row for row.
    """
    from pyspark.sql import functions as F

    spark = links.sparkSession
    buckets = buckets or int(spark.conf.get("spark.sql.shuffle.partitions"))
    creators = creators[["creator_id", "registered_at_ms", "agency_id"]].copy()
    lockstep = facts.market.lockstep
    everyday = set(facts.everyday)
    bucketed = links.withColumn("_bucket", F.pmod(F.xxhash64("ident"), F.lit(buckets)))
    shared = spark.sparkContext.broadcast((creators, lockstep, everyday, config))

    def part(frame: pd.DataFrame) -> MarketContext:
        return MarketContext({"creators": shared.value[0]}, frame.drop(columns="_bucket"), (), 0)

    if (creators["agency_id"].fillna("") != "").any():
        def kits(frame: pd.DataFrame) -> pd.DataFrame:
            _, stepped, days, config_ = shared.value
            ctx = part(frame)
            counted = studio_kit_counts(ctx, linked_pairs(ctx, config_, stepped, everyday=days))
            return counted.rename("kits").reset_index()

        summed = (bucketed.groupBy("_bucket")
                  .applyInPandas(kits, "agency string, identifier_type string, kits long")
                  .groupBy("agency", "identifier_type").agg(F.sum("kits").alias("kits"))
                  .toPandas())
        studio = summed.set_index(["agency", "identifier_type"])["kits"].astype(np.int64)
    else:  # no agency: no pair is inside one, and no count is read
        studio = None
    shared_kits = spark.sparkContext.broadcast(studio)

    def strong(frame: pd.DataFrame) -> pd.DataFrame:
        _, stepped, days, config_ = shared.value
        pairs = strong_links(part(frame), config_, stepped, everyday=days,
                             studio_kits=shared_kits.value)
        return pd.DataFrame({
            **{c: pairs[c].to_numpy(dtype=object) for c in ("a", "b", "ident", "identifier_type")},
            "weight": pairs["weight"].to_numpy(dtype=np.float64),
            "sharing": pairs["sharing"].to_numpy(dtype=np.int64),
            "decisive": pairs["decisive"].to_numpy(dtype=bool),
            "stepped": pairs["ident"].isin(stepped["ident"]).to_numpy(dtype=bool),
            "order": np.arange(len(pairs), dtype=np.int64)})

    return bucketed.groupBy("_bucket").applyInPandas(strong, _SCHEMA)


def in_market_order(pairs: pd.DataFrame) -> pd.DataFrame:
    """Strong links from Spark (a whole market's or one component's) in the in-process order,
    with :data:`STRONG_COLUMNS` only."""
    return (pairs.sort_values(list(ORDER), kind="stable").reset_index(drop=True)
            .loc[:, list(STRONG_COLUMNS)])
