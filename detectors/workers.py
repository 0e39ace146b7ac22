"""Detectors' searches over worker processes (:mod:`ringwatch.forked`), so a run uses every core.

Each detector's ``find`` reads the shared context and nothing another detector
found: only the give-ways, which read the kinds found before, need the run's
order, and :func:`.pipeline.find_rings` applies them afterwards, in that order.
So the searches can run at once, each whole in one process, on the same
context, with its own seeded generators: the findings are the ones a single
process finds. Workers take the detectors costliest first (``Detector.cost``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ringwatch.forked import over_workers

from .config import DetectionConfig
from .context import MarketContext
from .detector import Detector
from .rings import Finding


@dataclass(frozen=True)
class Searched:
    """One detector's findings, how long its search took and in which worker (0: the run's process)."""

    name: str
    findings: list[Finding]
    seconds: float
    worker: int


def search_all(detectors: Sequence[Detector], ctx: MarketContext, config: DetectionConfig, *,
               workers: int = 1,
               finished: Callable[[str], None] | None = None) -> dict[str, Searched]:
    """Every detector's ``find`` on ``ctx``, over up to ``workers`` processes; by detector name.

    ``finished`` is called, in the run's process, with each detector's name as
    its search ends there or its findings arrive from a worker. A detector
    ``config.skip`` names finds nothing.
    """
    queue = sorted(detectors, key=lambda d: -d.cost)  # costliest first: the last to start are short

    def search(detector: Detector, worker: int) -> Searched:
        clock = time.perf_counter()
        findings = [] if detector.name in config.skip else detector.find(ctx, config)
        return Searched(detector.name, findings, time.perf_counter() - clock, worker)

    note = finished or (lambda _: None)
    done = over_workers(queue, search, workers=workers, finished=lambda i: note(queue[i].name),
                        named=lambda detector: f"the {detector.name} search")
    return {searched.name: searched for searched in done}
