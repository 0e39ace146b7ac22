"""Identity rings on Spark: market-wide facts, strong links and per-component work, distributed.

The stage runs the detector's own functions on Spark's partitions, in the
detector's order:

1. the market-wide facts as Spark aggregates (:mod:`.identity_market`);
2. the strong links per bucket of identifiers (:mod:`.strong_links`);
3. the connected components of the strong links (:mod:`.components`);
4. each component's links on one executor, which runs the detector's own
   :func:`~ringwatch.detectors.identity_rings.rings_from_links` on them with
   python-igraph (agglomeration, chains, Leiden splitting, evidence) through
   ``applyInPandas``; the market-wide facts
   (:class:`~ringwatch.detectors.identity_rings.IdentityMarket`) are broadcast once.

The driver holds the facts (aggregates, the shared identifiers' links, the
creators) and the findings, never the links or the strong links.
"""

from __future__ import annotations

import logging
import pickle
import time
from typing import TYPE_CHECKING

import pandas as pd

from ringwatch.detectors.config import IdentityConfig
from ringwatch.detectors.context import MarketContext
from ringwatch.detectors.identity_rings import rings_from_links
from ringwatch.detectors.rings import Finding

from .components import connected_components
from .identity_market import context_links, identity_facts_on_spark
from .strong_links import in_market_order, strong_links_on_spark

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)


def find_identity_rings_on_spark(identity_links: DataFrame, ctx: MarketContext,
                                 config: IdentityConfig | None = None, *,
                                 seed: int = 42) -> list[Finding]:
    """The same findings as ``find_identity_rings(ctx, config, seed=seed)``, on Spark.

    ``identity_links`` is the Spark ``identity_links`` projection; ``ctx`` gives
    the allowlist's verdicts and the creators projection. Findings come back
    ordered by their smallest member account (the in-process order is by
    component too, but ties within a split component may list differently;
    nothing downstream reads the order but tie-breaks of equal rings).
    """
    from pyspark.sql import functions as F

    config = IdentityConfig() if config is None else config
    clock = _Clock()
    links = context_links(identity_links, ctx).cache()
    try:
        facts = identity_facts_on_spark(links, ctx, config)
        clock.lap("market-wide facts")
        strong = strong_links_on_spark(links, facts, ctx["creators"], config).localCheckpoint()
        clock.lap("strong links")
        if strong.isEmpty():
            return []
        labels = connected_components(strong.select(F.col("a").alias("src"),
                                                    F.col("b").alias("dst"))).localCheckpoint()
        clock.lap("components")
        by_component = strong.join(labels.withColumnRenamed("node", "a"), "a")
        shared = strong.sparkSession.sparkContext.broadcast((facts.market, config, seed))

        def per_component(frame: pd.DataFrame) -> pd.DataFrame:
            market_, config_, seed_ = shared.value
            found = rings_from_links(in_market_order(frame), market_, config_, seed=seed_)
            # Plain object columns: Arrow-backed strings reach Spark's serializer as chunked arrays.
            return pd.DataFrame({"component": pd.Series([str(frame["component"].iloc[0])] * len(found),
                                                        dtype=object),
                                 "finding": pd.Series([pickle.dumps(f) for f in found], dtype=object)})

        rows = (by_component.groupBy("component")
                .applyInPandas(per_component, schema="component string, finding binary")
                .collect())
        clock.lap("per component")
    finally:
        links.unpersist()
    findings: list[Finding] = [pickle.loads(row["finding"]) for row in rows]
    return sorted(findings, key=_first_account)


class _Clock:
    """Logs the seconds each part of the stage took (the benchmark reads them)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()

    def lap(self, part: str) -> None:
        now = time.perf_counter()
        log.info("spark identity stage: %s took %.1f s", part, now - self.last)
        self.last = now


def _first_account(finding: Finding) -> tuple[str, str]:
    first = min(finding.accounts)
    return first.type, first.id
