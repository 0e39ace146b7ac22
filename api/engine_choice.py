"""``--engine`` and ``--spark-master``: where ``run`` and ``detect`` do their data-parallel steps.

The default engine is this process. ``spark`` runs the projections and the
identity rings' per-component work on Spark (``ringwatch.spark``, the optional
extra ``ringwatch[spark]``); the rules, scores and stable ids are the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from enum import Enum
from typing import Annotated

import typer

from ringwatch import RingwatchError
from ringwatch.detectors.pipeline import Engine as DetectionEngine
from ringwatch.graph.store import GraphStore


class Engine(str, Enum):
    """The engines a run can use."""

    in_process = "in-process"
    spark = "spark"


EngineOption = Annotated[Engine, typer.Option(
    "--engine", help="Where detection's data-parallel steps run: 'in-process' or 'spark' "
    "(needs pip install 'ringwatch[spark]'; reads the local store's tables).")]
SparkMasterOption = Annotated[str, typer.Option(
    "--spark-master", help="Spark master URL for --engine spark (local[*], spark://HOST:7077, "
    "yarn, k8s://...).")]


def check_engine(engine: Engine) -> None:
    """Fail at once, before any loading, when the chosen engine is not installed."""
    if Engine(engine) is Engine.spark:
        from ringwatch.spark.session import require_pyspark

        require_pyspark()


@contextlib.contextmanager
def engine_for(engine: Engine, store: GraphStore, *, master: str) -> Iterator[DetectionEngine | None]:
    """The engine ``run_detection`` gets (None: in process); a Spark session lives while it is used."""
    if Engine(engine) is Engine.in_process:
        yield None
        return
    check_engine(engine)
    # The local store's current snapshot generation (graph.local_generations).
    current = getattr(getattr(store, "graph", None), "tables_directory", None)
    tables = current() if current is not None else None
    if tables is None:
        raise RingwatchError(f"--engine spark reads the local store's tables; the {store.backend} "
                             "store has none: use --backend local, or the in-process engine")
    from ringwatch.spark.engine import SparkEngine
    from ringwatch.spark.session import spark_session

    spark = spark_session(master)
    try:
        yield SparkEngine(spark, tables)
    finally:
        spark.stop()


def spark_load_into(master: str):  # -> the signature of ringwatch.loading.load_into
    """``load_into`` with validation and quarantine on Spark (``run --engine spark``).

    The loader's rules, reasons, quarantine files and reconcile, checked as Spark
    column expressions (:mod:`ringwatch.spark.validate`); the good rows are then
    written to the store as ``load_into`` writes them (the report, the API and
    the next run's stable ids read the store). The session is the one
    :func:`engine_for` then uses (``getOrCreate`` on the same master).
    """
    from ringwatch.graph.store import check_property_names
    from ringwatch.loaders import LoadResult
    from ringwatch.spark.session import spark_session
    from ringwatch.spark.validate import load_snapshot_on_spark, to_snapshot

    def load(store, data, *, quarantine_dir, replace=False, validated=None, checked=None,
             written=None) -> LoadResult:
        loaded = load_snapshot_on_spark(spark_session(master), data, quarantine_dir=quarantine_dir)
        result = LoadResult(to_snapshot(loaded), loaded.summary)
        if validated:
            for table in loaded.tables:
                validated(table)
        check_property_names(result.snapshot, files={t.table: t.file for t in result.summary.tables})
        if checked:
            checked(result)
        store.write_snapshot(result.snapshot, progress=written, replace=replace)
        return result

    return load
