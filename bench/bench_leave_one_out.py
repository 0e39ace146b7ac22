"""How the catch-all generalises: recall of coordinated blocks on a typology whose own detector is off.

For each planted typology of the generator's profiles, detection runs with the
detector that targets it switched off (``DetectionConfig.skip``), and the
coordinated blocks (score >= 0.5) are scored against the labels: the share of
that typology's planted rings they recall (ring recall as
:func:`ringwatch.detectors.evaluation.evaluate` defines it), and how many of
the coordinated blocks are false rings (half or fewer of their accounts
labelled).

    python bench/bench_leave_one_out.py --seeds 101 102 --scale 0.25
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from ringwatch.detectors.config import DetectionConfig
from ringwatch.detectors.context import MarketContext
from ringwatch.detectors.evaluation import evaluate, load_labels
from ringwatch.detectors.pipeline import find_rings
from ringwatch.detectors.scoring import MetricTables, context_evidence, metrics, score
from ringwatch.generator import GeneratorConfig, generate_snapshot
from ringwatch.loaders import load_snapshot

#: The detector that targets each planted typology.
TARGETED_BY = {
    "plain": {"account_farm": "identity_rings", "collusion_ring": "collusion_rings",
              "self_purchase": "commission_abuse", "self_dealing": "commission_abuse"},
    "evasion": {"agency_farm": "identity_rings", "device_chain_farm": "identity_rings",
                "split_payout_farm": "identity_rings", "burst_farm": "lockstep_rings",
                "thin_collusion": "collusion_rings", "camouflaged_collusion": "collusion_rings",
                "collusion_ring": "collusion_rings"},
}
KIND = "coordinated_block"


def catch_all_rings(ctx: MarketContext, skip: str) -> list[dict]:
    """The coordinated blocks of a run without ``skip``, scored as a run scores them."""
    findings = find_rings(ctx, DetectionConfig(skip=(skip,)))
    tables = MetricTables.from_context(ctx)
    rings = []
    for finding, ring_metrics in zip(findings, metrics(findings, tables, ctx.as_of_ms), strict=True):
        if finding.kind != KIND:
            continue
        rings.append({"kind": finding.kind,
                      "score": score(finding.evidence + context_evidence(ring_metrics, tables)),
                      "members": [m.to_json() for m in finding.members]})
    return rings


def run(profile: str, seed: int, scale: float) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory(prefix="ringwatch-loo-") as tmp:
        data = Path(tmp) / "snapshot"
        generate_snapshot(data, GeneratorConfig(scale=scale, seed=seed, profile=profile))
        ctx = MarketContext.from_tables(load_snapshot(data).snapshot.tables)
        labels = load_labels(data / "labels.csv")
    planted = set(labels["typology"])
    by_detector: dict[str, list[str]] = {}
    for typology, detector in TARGETED_BY[profile].items():
        if typology in planted:
            by_detector.setdefault(detector, []).append(typology)
    for detector, typologies in sorted(by_detector.items()):
        started = time.perf_counter()
        rings = [r for r in catch_all_rings(ctx, detector) if r["score"] >= 0.5]
        result = evaluate(rings, labels)
        false = result.overall.flagged_rings - result.overall.correct_rings
        for typology in typologies:
            s = result[typology]
            lines.append(f"{profile:<8} {seed:>4} {typology:<22} {detector:<17} "
                         f"{s.recalled_rings:>3}/{s.planted_rings:<3} {s.ring_recall:>6.3f} "
                         f"{len(rings):>6} {false:>6} {time.perf_counter() - started:>6.1f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", nargs="+", default=list(TARGETED_BY), choices=list(TARGETED_BY))
    parser.add_argument("--seeds", nargs="+", type=int, default=[101, 102])
    parser.add_argument("--scale", type=float, default=0.25)
    args = parser.parse_args(argv)
    print(f"{'profile':<8} {'seed':>4} {'left-out typology':<22} {'detector off':<17} "
          f"{'recall':>7} {'':>6} {'blocks':>6} {'false':>6} {'sec':>6}")
    for profile in args.profiles:
        for seed in args.seeds:
            for line in run(profile, seed, args.scale):
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
