"""The Spark engine (local mode) gives the in-process engine's rings: members, kinds, scores, ids.

Each generated snapshot is loaded once into a local store, copied, and
detected on twice: in process and with :class:`ringwatch.spark.engine.SparkEngine`.
The projections must be equal frame for frame (money to 1e-12 relative: Spark
adds in another order) and the rings equal with scores to 1e-9. A second Spark
run on the same store keeps the rings' ids (stable ids against the store's
previous run).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from ringwatch.detectors.context import read_context
from ringwatch.detectors.pipeline import run_detection
from ringwatch.generator import GeneratorConfig, generate_snapshot
from ringwatch.graph.local_store import LocalStore
from ringwatch.loading import load_into
from ringwatch.spark.engine import SparkEngine

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
        pd.testing.assert_frame_equal(built[name], frame, check_exact=False, rtol=1e-12,
                                      obj=f"projection {name}")
    pd.testing.assert_frame_equal(built.links, expected.links)


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
