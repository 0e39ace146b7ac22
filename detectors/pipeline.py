"""One detection run: projections in, scored and explained rings with stable ids out, and back to the store.

The run reads projections through the store interface only, runs the
registered detectors (:mod:`.registry`; the last, coordinated blocks, a
catch-all for trade no named rule explains), folds collusion rings and
commission-abuse cases that are largely an identity ring's accounts into that
ring (one operator, one ring for the reviewer), scores, recalibrates the
scores of each kind reviewers have judged enough of (:mod:`.recalibration`),
matches ids with the previous run, and records the run with its parameters
and the calibration it used.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import pandas as pd

from ringwatch.domain import (
    DetectorInputDocument,
    Lifecycle,
    Ring,
    RingDocument,
    Run,
    RunDocument,
    in_queue_order,
    new_run_id,
    ring_kinds,
    utc_stamp,
)
from ringwatch.graph.capabilities import DetectionStore, RingRepository
from ringwatch.wording import count, listed, span

from . import registry
from .config import BurstConfig, DetectionConfig
from .context import MarketContext, read_context
from .detector import Detector
from .lockstep import registration_bursts
from .recalibration import recalibrate
from .ring_ids import assign_ids, carried_review
from .rings import Evidence, Finding
from .scoring import (
    HouseholdPrior,
    MetricTables,
    TimingPrior,
    context_evidence,
    explained_by_household,
    metrics,
    score,
    timing_only,
)
from .workers import search_all

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: How a run logs each detector's search: its name, its findings, its seconds, its process.
SEARCHED = "%s: %s in %.2f s (%s)"

#: The steps a run reports to its ``progress`` callback, in order.
DETECTION_STEPS = ("reading projections", *(d.step for d in registry.DETECTORS), "scoring",
                   "matching ring ids", "saving rings")


class Engine(Protocol):
    """Where a run's data-parallel steps happen, when not in this process (see ``ringwatch.spark``).

    The Splink pattern: the pipeline is the one algorithm; an engine fills in
    two hooks and never changes a rule.
    """

    def context(self, store: DetectionStore) -> MarketContext:
        """The run's projections and shared arrays, built by the engine."""

    def detectors(self, registered: tuple[Detector, ...]) -> tuple[Detector, ...]:
        """The registry's detectors, with the engine's version of those it distributes."""


@dataclass(frozen=True)
class RunResult:
    """A finished run: its record, the rings it found (best first) and every ring it touched."""

    run: RunDocument
    rings: list[RingDocument]
    touched: list[RingDocument]
    #: The projections the run detected on, for what is drawn from the same data next (the
    #: report's ring pictures): reading them again from the store would cost a second scan.
    projections: Mapping[str, pd.DataFrame] = dataclasses.field(default_factory=dict)


def find_rings(ctx: MarketContext, config: DetectionConfig = DetectionConfig(), *,
               progress: Progress | None = None,
               detectors: tuple[Detector, ...] | None = None, workers: int = 1) -> list[Finding]:
    """Run every registered detector on one context; returns unscored findings, in run order.

    Each detector's findings give way to the rings of the kinds it names
    (``Detector.gives_way_to``, found before it): collusion and lockstep
    findings largely inside an identity ring (lockstep: or a collusion ring)
    join it, lockstep rings then leave out creators another ring holds, and
    coordinated blocks, the catch-all, leave out every account another ring
    holds. Detectors named in ``config.skip`` are not run. ``detectors``: the
    registry's (:func:`.registry.detectors`, read when called) unless given.
    The searches run over up to ``workers`` processes (:mod:`.workers`); the
    give-ways then run here, in order, so the findings are the same for any
    count.
    """
    detectors = registry.detectors() if detectors is None else detectors
    searched = search_all(detectors, ctx, config, workers=workers,
                          finished=_steps_in_order(detectors, progress or (lambda _: None)))
    by_kind: dict[str, list[Finding]] = {}
    for detector in detectors:
        done = searched[detector.name]
        log.info(SEARCHED, detector.name, count(len(done.findings), "finding"),
                 done.seconds, "the run's process" if done.worker == 0 else f"worker {done.worker}")
        found = done.findings
        if detector.give_way is not None:
            owners = [f for kind in detector.gives_way_to for f in by_kind.get(kind, [])]
            found = detector.give_way(found, owners, config)
        by_kind[detector.kind] = found
    findings = [f for d in detectors for f in by_kind[d.kind]]
    _add_burst_evidence(findings, ctx, config.bursts)
    return findings


def _steps_in_order(detectors: tuple[Detector, ...], step: Progress) -> Callable[[str], None]:
    """Report the first detector's step now, and each next one once every search before it
    has ended (as one process runs them: the steps come in run order whatever the workers
    do); the callback takes the name of each search that ends."""
    ended: set[str] = set()
    reported = 0

    def report() -> None:
        nonlocal reported
        while reported < len(detectors) and (reported == 0
                                             or detectors[reported - 1].name in ended):
            step(detectors[reported].step)
            reported += 1

    def finished(name: str) -> None:
        ended.add(name)
        report()

    report()
    return finished


def _add_burst_evidence(findings: list[Finding], ctx: MarketContext, config: BurstConfig) -> None:
    """Say so on each ring whose creators registered in one sitting the market was quiet in.

    Registering together is coordination: on a ring an honest structure partly
    explains (``Finding.explained``) it counts only for the part left over.
    """
    members = pd.DataFrame([(i, m.id) for i, f in enumerate(findings) for m in f.members
                            if m.type == "creator"], columns=["group", "creator_id"])
    if members.empty:
        return
    bursts = registration_bursts(
        members, ctx["creators"],
        windows=[(int(hours * 3_600_000), share) for hours, share in config.windows],
        min_accounts=config.min_creators, min_share=config.share)
    for row in bursts.itertuples():  # one per ring in a burst: few
        finding = findings[int(row.ident)]
        creators = sorted(m.id for m in finding.members if m.type == "creator")
        finding.evidence.append(Evidence(
            "lockstep_registration",
            f"{row.in_window} of the {count(len(creators), 'creator')} of this ring "
            f"({listed(creators)}) registered within {span(row.window_ms / 3_600_000)} of each "
            f"other, while the market's other registrations in that window were "
            f"{row.market_share:.1%} of all", config.weight * (1.0 - finding.explained)))


def detector_inputs(ctx: MarketContext) -> dict[str, DetectorInputDocument]:
    """What each detector had to work on, for run.json and the summary (see :class:`.detector.WorkedOn`)."""
    return {d.name: d.worked_on(ctx).as_record() for d in registry.detectors()}


def _with_reviews_since(store: RingRepository, previous: list[RingDocument],
                        touched: list[RingDocument], config: DetectionConfig) -> list[RingDocument]:
    """Re-apply reviews made while this run was detecting, so the run does not undo them.

    The run read the rings when it started; a reviewer may have confirmed or
    dismissed one since. Rings whose stored version moved take their review
    fields from the fresh copy (the window left is the save itself).
    """
    read = {r["ring_id"]: r.get("version", 0) for r in previous}
    fresh = {r.ring_id: r.to_json() for r in store.rings()
             if r.ring_id in read and (r.version or 0) != (read[r.ring_id] or 0)}
    if not fresh:
        return touched
    merged = []
    for ring in touched:
        now = fresh.get(ring["ring_id"])
        if now is None or ring["status"] == Lifecycle.DISSOLVED:
            merged.append(ring)
            continue
        merged.append({**ring, **carried_review(now, ring, jaccard=config.matching.jaccard)})
    return merged


def run_detection(store: DetectionStore, config: DetectionConfig = DetectionConfig(), *,
                  progress: Progress | None = None, run_id: str | None = None,
                  now: datetime | None = None, extra: Mapping[str, Any] | None = None,
                  engine: Engine | None = None, workers: int = 1) -> RunResult:
    """Detect on what the store holds, give rings stable ids, save the run and its rings.

    ``engine`` does the data-parallel steps elsewhere (a Spark cluster): it
    builds the context and may stand in for detectors; the rules, scoring, id
    matching and saving stay here. None: in process, from the store, the
    detectors' searches over up to ``workers`` forked processes (the default, 1,
    keeps a server that calls this in its own process; the command line gives
    ``RINGWATCH_WORKERS``).
    """
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    run_id = run_id or new_run_id(now)
    step = progress or (lambda _: None)
    step("reading projections")
    registry.check_registry()
    unknown = sorted(set(config.skip) - set(registry.detector_names()))
    if unknown:
        raise ValueError(f"DetectionConfig.skip names no detector: {', '.join(unknown)}; the "
                         f"detectors are {', '.join(registry.detector_names())}")
    ctx = read_context(store) if engine is None else engine.context(store)
    inputs = detector_inputs(ctx)
    findings = find_rings(ctx, config, progress=step, workers=workers if engine is None else 1,
                          detectors=None if engine is None else engine.detectors(registry.detectors()))
    step("scoring")
    tables = MetricTables.from_context(ctx)
    stamp = utc_stamp(now)
    current: list[RingDocument] = []
    in_step = TimingPrior.of(f.evidence for f in findings)
    timing_cap = in_step.cap(config.scoring.timing_only_cap)
    homes = HouseholdPrior.of(findings)
    for finding, ring_metrics in zip(findings, metrics(findings, tables, ctx.as_of_ms),
                                     strict=True):
        evidence = finding.evidence + context_evidence(ring_metrics, tables)
        if timing_only(evidence):
            evidence.append(in_step.evidence(config.scoring.timing_only_cap))
        household = explained_by_household(finding, evidence)
        if household:
            evidence.append(homes.evidence(config.scoring.household_cap,
                                           config.identity.household_accounts))
        current.append({
            "kind": finding.kind,
            "score": score(evidence, config.scoring, timing_cap=timing_cap,
                           cap=homes.cap(config.scoring.household_cap) if household else 1.0),
            "members": [m.to_json() for m in sorted(finding.members)],
            "evidence": [e.to_json() for e in sorted(evidence, key=lambda e: -e.weight)],
            "metrics": ring_metrics,
        })
    current, calibration = recalibrate(current, store.verdicts(), config.recalibration)
    step("matching ring ids")
    # The id matching works on the rings' JSON (as rings.jsonl has them): the store's records
    # are turned into it here, and the run's rings back into records when they are saved.
    previous = [r.to_json() for r in store.rings()]
    touched = assign_ids(previous, current, run_id=run_id, stamp=stamp,
                          jaccard=config.matching.jaccard)
    active = in_queue_order(r for r in touched if r["status"] != Lifecycle.DISSOLVED)
    counts = {kind: sum(1 for r in active if r["kind"] == kind)
              for kind in (k.name for k in ring_kinds())}
    run: RunDocument = {
        "run_id": run_id, "started_at": stamp, "backend": store.backend,
        "duration_seconds": round(time.perf_counter() - started, 3),
        "parameters": dataclasses.asdict(config),
        "rings": len(active), "rings_by_kind": counts,
        "new": sum(1 for r in active if r["first_detected"] == stamp),
        "persisting": sum(1 for r in active if r["first_detected"] != stamp),
        "dissolved": sum(1 for r in touched if r["status"] == Lifecycle.DISSOLVED),
        "allowlist": [dataclasses.asdict(a) for a in ctx.allowlist],
        "as_of_ms": ctx.as_of_ms,
        "detectors": inputs,
        "calibration": calibration,
        **(extra or {}),  # a caller's additions (the load summary, who started it)
    }
    step("saving rings")
    store.save_run(Run.from_json(run), [Ring.from_json(r) for r in
                                        _with_reviews_since(store, previous, touched, config)])
    log.info("run %s: %d rings (%s), %d new, %d persisting, %d dissolved, %.1f s", run_id,
             len(active), ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items()),
             run["new"], run["persisting"], run["dissolved"], run["duration_seconds"])
    for name, used in inputs.items():
        if used["nothing_to_work_on"]:
            log.debug("%s had nothing to work on: %s", name, used["why"])
    return RunResult(run, active, touched, ctx.projections)
