"""The Spark engine (local mode) gives the in-process engine's rings: members, kinds, scores, ids.

Each generated snapshot is loaded once into a local store, copied, and
detected on twice: in process and with :class:`ringwatch.spark.engine.SparkEngine`.
The identity stage's market-wide facts and strong links, made on Spark, must
equal the detector's exactly (under the default settings and under settings
that put identifiers in lockstep and make types everyday).
The projections must be equal frame for frame, bit for bit (money and rates
are added as whole micro-units in both engines, so the order of addition does
not matter), and the rings equal with scores to 1e-9. A second Spark
run on the same store keeps the rings' ids (stable ids against the store's
previous run).
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ringwatch.detectors.config import IdentityConfig
from ringwatch.detectors.context import read_context
from ringwatch.detectors.identity_rings import IdentityMarket, everyday_types, strong_links
from ringwatch.detectors.pipeline import run_detection
from ringwatch.generator import GeneratorConfig, generate_snapshot
from ringwatch.graph.local_store import LocalStore
from ringwatch.loading import load_into
from ringwatch.spark.engine import SparkEngine
from ringwatch.spark.identity_market import context_links, identity_facts_on_spark
from ringwatch.spark.projections import spark_projections
from ringwatch.spark.strong_links import in_market_order, strong_links_on_spark
from ringwatch.spark.tables import read_tables

NOW = datetime(2026, 11, 20, tzinfo=UTC)
SNAPSHOTS = {"plain": GeneratorConfig(scale=0.1, seed=7),
             "evasion": GeneratorConfig(scale=0.1, seed=11, profile="evasion")}


@pytest.fixture(scope="module", params=sorted(SNAPSHOTS))
def loaded(request, tmp_path_factory) -> tuple[Path, Path]:
    """Two copies of one local store holding a generated snapshot."""
    root = tmp_path_factory.mktemp(request.param)
    made = generate_snapshot(root / "snapshot", SNAPSHOTS[request.param])
    load_into(LocalStore(root / "in_process"), made.path, quarantine_dir=root / "quarantine")
    shutil.copytree(root / "in_process", root / "spark")
    return root / "in_process", root / "spark"


def _rings(result) -> dict[tuple, dict]:
    return {(r["kind"], tuple((m["type"], m["id"]) for m in r["members"])): r for r in result.rings}


def test_spark_projections_equal_the_stores(spark, loaded) -> None:
    in_process, _ = loaded
    store = LocalStore(in_process)
    expected = read_context(store)
    built = SparkEngine(spark, store.graph.tables_directory()).context(store)
    for name, frame in expected.projections.items():
        pd.testing.assert_frame_equal(built[name], frame, check_exact=True, obj=f"projection {name}")
    pd.testing.assert_frame_equal(built.links, expected.links)


#: The default settings, and looser ones under which the generated markets have identifiers in
#: lockstep (their pairs replaced by the lockstep ones) and everyday types (pairs discounted).
IDENTITY_CONFIGS = {
    "default": IdentityConfig(),
    "lockstep_and_everyday": dataclasses.replace(
        IdentityConfig(), lockstep_min_accounts=3, lockstep_share=0.5,
        lockstep_windows=((24.0, 0.5), (720.0, 0.9)), everyday_sharing_rate=0.01,
        everyday_min_accounts=10),
}


@pytest.mark.parametrize("settings", sorted(IDENTITY_CONFIGS))
def test_spark_makes_the_same_market_facts_and_strong_links(spark, loaded, settings: str) -> None:
    """The identity stage's market-wide facts and strong links, Spark's against the detector's."""
    in_process, _ = loaded
    store = LocalStore(in_process)
    ctx = read_context(store)
    config = IDENTITY_CONFIGS[settings]
    links = context_links(spark_projections(read_tables(spark, store.graph.tables_directory()))
                          ["identity_links"], ctx).cache()
    facts = identity_facts_on_spark(links, ctx, config)
    market = IdentityMarket.of(ctx, config)
    pd.testing.assert_frame_equal(facts.market.lockstep, market.lockstep, check_dtype=False)
    assert facts.market.join_lockstep == market.join_lockstep
    assert facts.everyday == frozenset(everyday_types(ctx, config))
    assert facts.market.rarity.sorted_sharing.keys() == market.rarity.sorted_sharing.keys()
    for kind, values in market.rarity.sorted_sharing.items():
        np.testing.assert_array_equal(facts.market.rarity.sorted_sharing[kind], values)
    assert facts.market.chains.by_type.keys() == market.chains.by_type.keys()
    assert any(len(chains.observed) for chains in market.chains.by_type.values())
    for kind, chains in market.chains.by_type.items():  # the same shuffles, drawn the same
        np.testing.assert_array_equal(facts.market.chains.by_type[kind].observed, chains.observed)
        np.testing.assert_array_equal(facts.market.chains.by_type[kind].null, chains.null)
    if settings != "default":  # the facts these settings are for are there
        assert len(market.lockstep) and facts.everyday

    expected = strong_links(ctx, config)
    assert len(expected) > 1000 and expected["decisive"].any()
    for buckets in (1, 7):  # the bucketing does not change the result
        got = in_market_order(strong_links_on_spark(links, facts, ctx["creators"], config,
                                                    buckets=buckets).toPandas())
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=True)
    links.unpersist()


def test_spark_finds_the_same_rings_with_the_same_scores_and_ids(spark, loaded) -> None:
    in_process, on_spark = loaded
    ours = run_detection(LocalStore(in_process), run_id="run-1", now=NOW)
    spark_store = LocalStore(on_spark)
    theirs = run_detection(spark_store, run_id="run-1", now=NOW,
                           engine=SparkEngine(spark, spark_store.graph.tables_directory()))
    expected, found = _rings(ours), _rings(theirs)
    assert len(expected) >= 3 and {k for k, _ in expected} >= {"identity_ring"}
    assert found.keys() == expected.keys()
    for key, ring in expected.items():
        other = found[key]
        assert other["score"] == pytest.approx(ring["score"], abs=1e-9), key
        assert other["ring_id"] == ring["ring_id"]
        assert [(e["code"], e["text"]) for e in other["evidence"]] == [
            (e["code"], e["text"]) for e in ring["evidence"]]
        assert [e["weight"] for e in other["evidence"]] == pytest.approx(
            [e["weight"] for e in ring["evidence"]], abs=1e-9)
    assert [r["ring_id"] for r in theirs.rings] == [r["ring_id"] for r in ours.rings]

    again = run_detection(spark_store, run_id="run-2", now=NOW.replace(day=21),
                          engine=SparkEngine(spark, spark_store.graph.tables_directory()))
    assert {r["ring_id"] for r in again.rings} == {r["ring_id"] for r in theirs.rings}
    assert again.run["new"] == 0 and again.run["persisting"] == len(theirs.rings)
