"""Identity rings with the per-component work on Spark executors.

The strong links (:func:`ringwatch.detectors.identity_rings.strong_links`)
are made on the driver, over the Spark-built context: they read market-wide
facts (which identifiers are in lockstep, which types the market shares every
day, which identifiers are an agency's studio kit) that a partition alone
cannot judge. From there the work splits by component: Spark labels the
connected components of the links (:mod:`.components`), and each component's
links go to one executor, which runs the detector's own
:func:`~ringwatch.detectors.identity_rings.rings_from_links` on them with
python-igraph (agglomeration, chains, Leiden splitting, evidence) through
``applyInPandas``. The market-wide facts it needs
(:class:`~ringwatch.detectors.identity_rings.IdentityMarket`) are broadcast once.
"""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

import pandas as pd

from ringwatch.detectors.config import IdentityConfig
from ringwatch.detectors.context import MarketContext
from ringwatch.detectors.identity_rings import IdentityMarket, rings_from_links, strong_links
from ringwatch.detectors.rings import Finding

from .components import connected_components

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The columns of the strong links an executor needs, and ``position``: the market's row order.
_LINK_COLUMNS = ("a", "b", "ident", "identifier_type", "weight", "sharing", "decisive")


def find_identity_rings_on_spark(spark: SparkSession, ctx: MarketContext,
                                 config: IdentityConfig | None = None, *,
                                 seed: int = 42) -> list[Finding]:
    """The same findings as ``find_identity_rings(ctx, config, seed=seed)``, per component on Spark.

    Findings come back ordered by their smallest member account (the in-process
    order is by component too, but ties within a split component may list
    differently; nothing downstream reads the order but tie-breaks of equal rings).
    """
    from pyspark.sql import functions as F

    config = IdentityConfig() if config is None else config
    market = IdentityMarket.of(ctx, config)
    pairs = strong_links(ctx, config, market.lockstep)
    if pairs.empty:
        return []
    links = spark.createDataFrame(
        pairs[list(_LINK_COLUMNS)].assign(position=range(len(pairs)),
                                          sharing=pairs["sharing"].astype("int64"),
                                          decisive=pairs["decisive"].astype(bool)))
    labels = connected_components(links.select(F.col("a").alias("src"), F.col("b").alias("dst")))
    by_component = links.join(labels.withColumnRenamed("node", "a"), "a")
    shared = spark.sparkContext.broadcast((market, config, seed))

    def per_component(frame: pd.DataFrame) -> pd.DataFrame:
        market_, config_, seed_ = shared.value
        frame = frame.sort_values("position", kind="stable").reset_index(drop=True)
        found = rings_from_links(frame[list(_LINK_COLUMNS)], market_, config_, seed=seed_)
        # Plain object columns: Arrow-backed strings reach Spark's serializer as chunked arrays.
        return pd.DataFrame({"component": pd.Series([str(frame["component"].iloc[0])] * len(found),
                                                    dtype=object),
                             "finding": pd.Series([pickle.dumps(f) for f in found], dtype=object)})

    rows = (by_component.groupBy("component")
            .applyInPandas(per_component, schema="component string, finding binary")
            .collect())
    findings: list[Finding] = [pickle.loads(row["finding"]) for row in rows]
    return sorted(findings, key=_first_account)


def _first_account(finding: Finding) -> tuple[str, str]:
    first = min(finding.accounts)
    return first.type, first.id
