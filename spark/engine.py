"""The Spark engine: the hooks :func:`ringwatch.detectors.pipeline.run_detection` calls.

What runs where:

- the projections: Spark SQL over the validated tables (:mod:`.projections`),
  collected to the driver as the stores give them;
- identity rings: the market-wide facts as Spark aggregates, the strong links
  per bucket of identifiers, connected components and the per-component work
  on the executors (:mod:`.identity`);
- collusion rings, commission abuse, lockstep rings and coordinated blocks:
  the detectors' own code on the driver, over the Spark-built projections.
  They judge every pair against market-wide statistics (expected trade
  between a creator and a shop, a market's registration background), which
  a partition cannot give; their inputs are per creator-shop aggregates,
  orders of magnitude smaller than the orders behind them;
- scoring, recalibration, stable ids and saving: the pipeline, unchanged.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ringwatch.detectors.config import DetectionConfig
from ringwatch.detectors.context import MarketContext, build_context
from ringwatch.detectors.detector import Detector
from ringwatch.detectors.identity_rings import DETECTOR as IDENTITY_DETECTOR

from .identity import find_identity_rings_on_spark
from .projections import collect_projection, spark_projections
from .tables import read_tables

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)


@dataclasses.dataclass
class SparkEngine:
    """Detection's data-parallel steps on ``spark``, from the validated tables in ``tables``.

    ``tables`` is a directory of ``NAME.parquet`` contract tables (the local
    store's ``tables`` directory after ``ringwatch load``). The store a run is
    given still receives the run and its rings, and gives the previous run's
    rings for the stable ids.
    """

    spark: SparkSession
    tables: Path
    _frames: dict[str, DataFrame] = dataclasses.field(default_factory=dict, init=False, repr=False)

    def context(self, store: object = None) -> MarketContext:
        """The run's context from Spark SQL projections (``store`` is not read: the tables are)."""
        built = spark_projections(read_tables(self.spark, self.tables))
        self._frames.update(built)
        projections = {name: collect_projection(frame, name) for name, frame in built.items()}
        log.info("spark projections: %s", ", ".join(f"{n} {len(p):,}" for n, p in projections.items()))
        return build_context(projections)

    def detectors(self, registered: tuple[Detector, ...]) -> tuple[Detector, ...]:
        """The registry's detectors, identity rings found per component on the executors."""
        return tuple(dataclasses.replace(d, find=self._identity_rings)
                     if d.name == IDENTITY_DETECTOR.name else d for d in registered)

    def _identity_rings(self, ctx: MarketContext, config: DetectionConfig):
        identity_links = self._frames.get("identity_links")
        if identity_links is None:  # a context made elsewhere: the tables' own projection
            identity_links = spark_projections(read_tables(self.spark, self.tables))["identity_links"]
        return find_identity_rings_on_spark(identity_links, ctx, config.identity, seed=config.seed)
