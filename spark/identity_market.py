"""The identity rings' market-wide facts as Spark aggregates, judged by the detector's own rules.

Identity rings read the whole market in a few places only (see
:func:`ringwatch.detectors.identity_rings.strong_links` and
:class:`~ringwatch.detectors.identity_rings.IdentityMarket`). Each is a small
aggregate over the links, computed here by Spark and handed to the detector's
own function for the verdict, so no rule is written twice:

- ``links``: the context's links (allowlisted identifiers left out, ``sharing``
  = distinct accounts per identifier), as ``build_context`` makes them;
- everyday types: per type, links and shared links, then (for the types the
  detector's :func:`~ringwatch.detectors.identity_rings.everyday_candidates`
  names) accounts and sharing accounts, judged by
  :func:`~ringwatch.detectors.identity_rings.shared_every_day`;
- sharing rarity: a histogram of accounts per identifier per type;
- lockstep (both settings): the shared identifiers' links (the only ones that
  can be in lockstep) and the market's first-seen times as a histogram per
  type and millisecond, handed to ``lockstep_identifiers`` as its background;
- studio kit counts per agency and type: a sum over identifier buckets
  (:mod:`.strong_links`);
- identifier chains: per chain type, histograms of identifiers per account and
  accounts per identifier (all the shuffles read), and the links of the
  identifiers a chain runs through (few), handed to
  :meth:`~ringwatch.detectors.identifier_chains.ChainNull.from_counts`.

The creators' registration times and agencies are the creators projection,
one row per creator, already on the driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ringwatch.detectors.config import IdentityConfig
from ringwatch.detectors.context import MarketContext
from ringwatch.detectors.identifier_chains import ChainNull
from ringwatch.detectors.identity_rings import (
    IdentityMarket,
    SharingRarity,
    chain_types,
    everyday_candidates,
    join_lockstep,
    lockstep_of,
    shared_every_day,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: The context's link columns the identity stage reads.
LINK_COLUMNS = ("account", "ident", "identifier_type", "first_seen_ms", "sharing")


@dataclass(frozen=True)
class SparkIdentityFacts:
    """The market-wide facts: what :func:`rings_from_links` reads, and the everyday types
    :func:`strong_links` reads (the studio kit counts come with the strong links)."""

    market: IdentityMarket
    everyday: frozenset[str]


def context_links(identity_links: DataFrame, ctx: MarketContext) -> DataFrame:
    """``ctx.links`` on Spark (the columns of :data:`LINK_COLUMNS`), from the ``identity_links``
    projection: the identifiers ``ctx`` found on an unexpired allowlist entry left out."""
    from pyspark.sql import functions as F

    def key(kind: str, value: str) -> Column:  # "type:id", missing text as "" (as the stores give it)
        return F.concat(F.coalesce(F.col(kind), F.lit("")), F.lit(":"),
                        F.coalesce(F.col(value), F.lit("")))

    links = identity_links.select(
        key("account_type", "account_id").alias("account"),
        key("identifier_type", "identifier").alias("ident"),
        "identifier_type", "identifier", "first_seen_ms")
    sharing = links.groupBy("ident").agg(F.countDistinct("account").alias("sharing"))
    allowed = [(u.identifier_type, u.identifier) for u in ctx.allowlist if not u.expired]
    if allowed:
        spark = identity_links.sparkSession
        listed = spark.createDataFrame(allowed, "identifier_type string, identifier string")
        links = links.join(F.broadcast(listed), ["identifier_type", "identifier"], "left_anti")
    return links.join(sharing, "ident").select(*LINK_COLUMNS)


def identity_facts_on_spark(links: DataFrame, ctx: MarketContext,
                            config: IdentityConfig) -> SparkIdentityFacts:
    """The market-wide facts of ``links`` (:func:`context_links`) for ``config``.

    ``ctx`` gives the creators projection only. Equal to what
    ``IdentityMarket.of(ctx, config)`` and ``everyday_types(ctx, config)`` give.
    """
    return SparkIdentityFacts(
        IdentityMarket(*_lockstep_facts(links, ctx, config),
                       ctx["creators"][["creator_id", "registered_at_ms"]],
                       _rarity(links), _chains(links, config)),
        frozenset(_everyday(links, config)))


def _cap(config: IdentityConfig) -> Column:
    """Each link's hub cap (0 for a type without one, as ``everyday_types`` reads it)."""
    return _per_type(config.max_sharing)


def _per_type(values: Mapping[str, int]) -> Column:
    """Each link's value for its identifier type in ``values``, 0 for a type not in it."""
    from pyspark.sql import functions as F

    mapped = F.create_map(*[F.lit(v) for item in values.items() for v in item]) \
        if values else F.create_map().cast("map<string,int>")
    return F.coalesce(mapped[F.col("identifier_type")], F.lit(0))


def _everyday(links: DataFrame, config: IdentityConfig) -> set[str]:
    """:func:`~ringwatch.detectors.identity_rings.everyday_types` from per-type counts."""
    from pyspark.sql import functions as F

    shared = (F.col("sharing") >= 2) & (F.col("sharing") <= _cap(config))
    per_type = links.groupBy("identifier_type").agg(
        F.count(F.lit(1)).alias("links"), F.sum(shared.cast("long")).alias("shared")).toPandas()
    if per_type.empty:
        return set()
    types = per_type["identifier_type"].to_numpy(dtype=object)
    by_link = per_type["shared"].to_numpy(dtype=np.float64) / np.maximum(
        per_type["links"].to_numpy(dtype=np.float64), 1)
    near = [str(t) for t in types[everyday_candidates(types, by_link, config)]]
    if not near:
        return set()
    counted = links.where(F.col("identifier_type").isin(near)).groupBy("identifier_type").agg(
        F.countDistinct("account").alias("users"),
        F.countDistinct(F.when(shared, F.col("account"))).alias("sharers")).collect()
    return {row["identifier_type"] for row in counted
            if shared_every_day(int(row["users"]), int(row["sharers"]), config)}


def _rarity(links: DataFrame) -> SharingRarity:
    """:class:`SharingRarity` from a histogram of accounts per identifier, per type."""
    from pyspark.sql import functions as F

    histogram = (links.select("ident", "identifier_type", "sharing").dropDuplicates(["ident"])
                 .groupBy("identifier_type", "sharing").agg(F.count(F.lit(1)).alias("n"))
                 .toPandas())
    counts = histogram["n"].to_numpy(dtype=np.int64)
    return SharingRarity.from_identifiers(pd.DataFrame({
        "identifier_type": np.repeat(histogram["identifier_type"].to_numpy(dtype=object), counts),
        "sharing": np.repeat(histogram["sharing"].to_numpy(dtype=np.int64), counts)}))


def _lockstep_facts(links: DataFrame, ctx: MarketContext,
                    config: IdentityConfig) -> tuple[pd.DataFrame, frozenset[str]]:
    """The identifiers in lockstep (both settings), by the detector's own functions.

    Only an identifier shared by the settings' fewest accounts can be in lockstep,
    so only those links come to the driver; the market they are judged against
    comes as a histogram of first-seen times per type (``lockstep_identifiers``'
    ``background``: it reads sorted times per type, which the histogram gives exactly).
    """
    from pyspark.sql import functions as F

    types = sorted(set(config.lockstep_types) | set(config.lockstep_join_types))
    fewest = min(config.lockstep_min_accounts, config.lockstep_join_min_accounts
                 if config.lockstep_join_types else config.lockstep_min_accounts)
    usable = links.where(F.col("identifier_type").isin(types) & F.col("first_seen_ms").isNotNull())
    shared = usable.where(F.col("sharing") >= fewest).toPandas()
    shared["first_seen_ms"] = shared["first_seen_ms"].astype(np.int64)
    histogram = usable.groupBy("identifier_type", "first_seen_ms").agg(
        F.count(F.lit(1)).alias("n")).toPandas()
    counts = histogram["n"].to_numpy(dtype=np.int64)
    background = pd.DataFrame({
        "identifier_type": np.repeat(histogram["identifier_type"].to_numpy(dtype=object), counts),
        "first_seen_ms": np.repeat(histogram["first_seen_ms"].to_numpy(dtype=np.int64), counts)})
    few = MarketContext({"creators": ctx["creators"]}, shared, (), ctx.as_of_ms)
    return lockstep_of(few, config, background), join_lockstep(few, config, background)


def _chains(links: DataFrame, config: IdentityConfig) -> ChainNull:
    """:class:`ChainNull` from two histograms per chain type and the links chains run through."""
    from pyspark.sql import functions as F

    personal = chain_types(config)
    mine = links.where(F.col("identifier_type").isin(list(personal)))

    def histogram(by: str) -> pd.DataFrame:
        return (mine.groupBy("identifier_type", by).agg(F.count(F.lit(1)).alias("k"))
                .groupBy("identifier_type", "k").agg(F.count(F.lit(1)).alias("n")).toPandas())

    def repeated(frame: pd.DataFrame, identifier_type: str) -> np.ndarray:
        rows = frame[frame["identifier_type"] == identifier_type]
        return np.repeat(rows["k"].to_numpy(dtype=np.int64), rows["n"].to_numpy(dtype=np.int64))

    per_account, per_ident = histogram("account"), histogram("ident")
    shared = mine.where((F.col("sharing") >= 2) & (F.col("sharing") <= _per_type(personal)))
    shared_links = shared.select("account", "ident", "identifier_type").toPandas()
    shared_links["account_code"] = pd.factorize(shared_links["account"])[0]
    return ChainNull.from_counts(
        {t: (repeated(per_account, t), repeated(per_ident, t)) for t in personal
         if (per_ident["identifier_type"] == t).any()},
        shared_links, personal, shuffles=config.chain_shuffles)
