"""One detection run: projections in, scored and explained rings with stable ids out, and back to the store.

The run reads projections through the store interface only, runs the five
detectors (the last, coordinated blocks, a catch-all for trade no named rule
explains), folds collusion rings and commission-abuse cases that are largely
an identity ring's accounts into that ring (one operator, one ring for the
reviewer), scores, recalibrates the scores of each kind reviewers have judged
enough of (:mod:`.recalibration`), matches ids with the previous run, and
records the run with its parameters and the calibration it used.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from ringwatch.domain import Lifecycle, in_queue_order, new_run_id, utc_stamp
from ringwatch.graph.capabilities import DetectionStore, RingRepository
from ringwatch.wording import count, listed, span

from .collusion_rings import find_collusion_rings
from .commission_abuse import find_commission_abuse
from .config import BurstConfig, DetectionConfig
from .context import MarketContext, read_context
from .coordinated_blocks import find_coordinated_blocks
from .coordinated_blocks import leave_out as leave_out_blocks
from .identity_rings import find_identity_rings
from .lockstep import registration_bursts
from .lockstep_rings import find_lockstep_rings, leave_out
from .recalibration import recalibrate
from .ring_ids import assign_ids, carried_review
from .ring_kinds import RING_KINDS
from .rings import Evidence, Finding
from .scoring import MetricTables, context_evidence, metrics, score

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: The steps a run reports to its ``progress`` callback, in order.
DETECTION_STEPS = ("reading projections", "identity rings", "collusion rings", "commission abuse",
                   "lockstep rings", "coordinated blocks", "scoring", "matching ring ids", "saving rings")


@dataclass(frozen=True)
class RunResult:
    """A finished run: its record, the rings it found (best first) and every ring it touched."""

    run: dict[str, Any]
    rings: list[dict[str, Any]]
    touched: list[dict[str, Any]]


def find_rings(ctx: MarketContext, config: DetectionConfig = DetectionConfig(), *,
               progress: Progress | None = None) -> list[Finding]:
    """Run the five detectors on one context; returns unscored findings.

    Collusion and lockstep findings largely inside an identity ring (lockstep:
    or a collusion ring) join it (see :func:`_fold_into_owner`); lockstep rings
    then leave out creators another ring holds: they are the kind for accounts
    nothing else ties. Coordinated blocks, the catch-all, run last and leave out
    every account another ring holds: they only add what no named rule found.
    Detectors named in ``config.skip`` are not run.
    """
    step = progress or (lambda _: None)

    def run(name: str, detect: Callable[[], list[Finding]]) -> list[Finding]:
        return [] if name in config.skip else detect()

    step("identity rings")
    identity = run("identity_rings", lambda: find_identity_rings(ctx, config.identity,
                                                                 seed=config.seed))
    step("collusion rings")
    collusion = run("collusion_rings", lambda: find_collusion_rings(ctx, config.collusion,
                                                                    seed=config.seed))
    step("commission abuse")
    abuse = run("commission_abuse", lambda: find_commission_abuse(ctx, config.abuse))
    collusion = _fold_into_owner(collusion, identity)
    found = identity + collusion + _fold_into_identity(abuse, identity)
    step("lockstep rings")
    lockstep = _fold_into_owner(run("lockstep_rings", lambda: find_lockstep_rings(
        ctx, config.lockstep)), identity + collusion)
    taken = frozenset(m.id for f in identity + collusion for m in f.members if m.type == "creator")
    found += leave_out(lockstep, taken, config.lockstep)
    step("coordinated blocks")
    held = frozenset(m for f in found for m in f.accounts)
    found += leave_out_blocks(run("coordinated_blocks", lambda: find_coordinated_blocks(
        ctx, config.blocks, seed=config.seed)), held, config.blocks)
    _add_burst_evidence(found, ctx, config.bursts)
    return found


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


def detector_inputs(ctx: MarketContext) -> dict[str, dict[str, Any]]:
    """What each detector had to work on, for run.json and the summary.

    A detector with nothing to work on finds nothing, and a run that says "0
    collusion rings" must also say that no attributed order reached it, or the
    user reads it as a clean market.
    """
    links = len(ctx.links)
    trade = ctx["creator_shop_trade"]
    attributed = int(trade["orders"].sum()) if len(trade) else 0
    buyer_links = int((ctx.links["account_type"] == "buyer").sum()) if links else 0
    seller_links = int((ctx.links["account_type"] == "seller").sum()) if links else 0
    dated = ctx["creators"].loc[ctx["creators"]["registered_at_ms"].notna(), "creator_id"]
    promoting = int(ctx["affiliations"]["creator_id"].isin(dated).sum())

    def entry(rows: int, what: str, missing: str) -> dict[str, Any]:
        return {"input": f"{rows:,} {what}", "rows": rows,
                "nothing_to_work_on": rows == 0, **({"why": missing} if rows == 0 else {})}

    return {
        "identity_rings": entry(links, "identity links (allowlisted identifiers left out)",
                                "no identity links to compare accounts by"),
        "collusion_rings": entry(attributed, "orders attributed to creators",
                                 "no orders attributed to a creator: collusion needs order data"),
        "commission_abuse": entry(attributed if buyer_links + seller_links else 0,
                                  "attributed orders, judged against buyer and seller identity links",
                                  "needs orders attributed to creators and identity links of buyers "
                                  "or sellers"),
        "lockstep_rings": entry(promoting, "affiliations of creators with a registration time",
                                "needs creators' registration times and their shop affiliations"),
        "coordinated_blocks": entry(attributed, "orders attributed to creators",
                                    "no orders attributed to a creator: blocks of trade need order "
                                    "data"),
    }


def _fold_into_owner(findings: list[Finding], owners: list[Finding]) -> list[Finding]:
    """Findings at least half of whose creators are one owner ring's join that ring.

    A farm that also trades fake orders is found twice: by what its accounts
    share and by how they trade; one registered in one sitting, partly tied by
    a payout account, is found by that and by its lockstep. It is one operator,
    so the reviewer gets one ring: the owner takes the finding's members (its
    shops, sellers and buyer pool, and any creator of the farm the owner had
    missed) and its evidence, which corroborates the owner's with independent
    facts. A finding that merely touches an owner (fewer than half its
    creators) stays apart. Returns the findings not folded.
    """
    owner = {m.id: ring for ring in owners for m in ring.members if m.type == "creator"}
    kept = []
    for ring in findings:
        # Sorted, so that two owners holding half each are told apart the same way every
        # run (the one holding the smallest creator id), not by set iteration order.
        creators = sorted(m.id for m in ring.members if m.type == "creator")
        held = Counter(id(owner[c]) for c in creators if c in owner)
        if not held or 2 * held.most_common(1)[0][1] < len(creators):
            kept.append(ring)
            continue
        most = held.most_common(1)[0][0]
        target = next(owner[c] for c in creators if c in owner and id(owner[c]) == most)
        target.members = target.members | ring.members
        target.evidence.extend(ring.evidence)
        for name, value in ring.metrics.items():
            target.metrics[name] = target.metrics.get(name, 0) + value
    return kept


def _fold_into_identity(abuse: list[Finding], identity: list[Finding]) -> list[Finding]:
    """Cases whose accounts all sit in one identity ring become evidence of that ring."""
    owner = {m: ring for ring in identity for m in ring.accounts}
    kept = []
    for case in abuse:
        rings = {id(owner.get(m)) for m in case.accounts}
        ring = owner.get(next(iter(case.accounts)))
        if ring is not None and len(rings) == 1:
            ring.evidence.append(case.evidence[-1])
            ring.metrics["commission_abuse_cases"] = ring.metrics.get(
                "commission_abuse_cases", 0) + 1
        else:
            kept.append(case)
    return kept


def _with_reviews_since(store: RingRepository, previous: list[dict[str, Any]],
                        touched: list[dict[str, Any]], config: DetectionConfig) -> list[dict[str, Any]]:
    """Re-apply reviews made while this run was detecting, so the run does not undo them.

    The run read the rings when it started; a reviewer may have confirmed or
    dismissed one since. Rings whose stored version moved take their review
    fields from the fresh copy (the window left is the save itself).
    """
    read = {r["ring_id"]: r.get("version", 0) for r in previous}
    fresh = {r["ring_id"]: r for r in store.rings()
             if r["ring_id"] in read and r.get("version", 0) != read[r["ring_id"]]}
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
                  now: datetime | None = None, extra: dict[str, Any] | None = None) -> RunResult:
    """Detect on what the store holds, give rings stable ids, save the run and its rings."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    run_id = run_id or new_run_id(now)
    step = progress or (lambda _: None)
    step("reading projections")
    ctx = read_context(store)
    inputs = detector_inputs(ctx)
    findings = find_rings(ctx, config, progress=step)
    step("scoring")
    tables = MetricTables.from_context(ctx)
    stamp = utc_stamp(now)
    current = []
    for finding, ring_metrics in zip(findings, metrics(findings, tables, ctx.as_of_ms),
                                     strict=True):
        evidence = finding.evidence + context_evidence(ring_metrics, tables)
        current.append({
            "kind": finding.kind,
            "score": score(evidence, config.scoring),
            "members": [m.to_json() for m in sorted(finding.members)],
            "evidence": [e.to_json() for e in sorted(evidence, key=lambda e: -e.weight)],
            "metrics": ring_metrics,
        })
    current, calibration = recalibrate(current, store.verdicts(), config.recalibration)
    step("matching ring ids")
    previous = store.rings()
    touched = assign_ids(previous, current, run_id=run_id, stamp=stamp,
                          jaccard=config.matching.jaccard)
    active = in_queue_order(r for r in touched if r["status"] != Lifecycle.DISSOLVED)
    counts = {kind: sum(1 for r in active if r["kind"] == kind)
              for kind in RING_KINDS}
    run = {
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
        **(extra or {}),
    }
    step("saving rings")
    store.save_run(run, _with_reviews_since(store, previous, touched, config))
    log.info("run %s: %d rings (%s), %d new, %d persisting, %d dissolved, %.1f s", run_id,
             len(active), ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items()),
             run["new"], run["persisting"], run["dissolved"], run["duration_seconds"])
    for name, used in inputs.items():
        if used["nothing_to_work_on"]:
            log.debug("%s had nothing to work on: %s", name, used["why"])
    return RunResult(run, active, touched)
