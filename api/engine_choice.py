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
