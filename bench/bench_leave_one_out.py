"""How the catch-all generalises: recall of coordinated blocks on a typology whose own detector is off.

For each planted typology of the generator's profiles, detection runs with the
detector that targets it switched off (``DetectionConfig.skip``), and the
coordinated blocks (score >= 0.5) are scored against the labels: the share of
that typology's planted rings they recall (ring recall as
:func:`ringwatch.detectors.evaluation.evaluate` defines it), and how many of
the coordinated blocks are false rings (half or fewer of their accounts
labelled). The whole run without that detector is assessed too, as
``bench_quality`` assesses a run (ring precision at 0.5, creator F1, ECE): what
a market whose tactic no rule names gets from the rest of the detectors.
``bench_quality`` runs the same (:func:`left_out_runs`) on its held-out seeds and
pools them per detector switched off.

    python bench/bench_leave_one_out.py --seeds 101 102 --scale 0.25
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ringwatch.detectors.config import DetectionConfig
from ringwatch.detectors.evaluation import (
    assess,
    calibration_error,
    correct_rings,
    evaluate,
    load_labels,
)
from ringwatch.detectors.pipeline import run_detection
from ringwatch.generator import GeneratorConfig, generate_snapshot
from ringwatch.graph.local_store import LocalStore
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
#: A fixed clock for the runs, so ring ids repeat.
RUN_AT = datetime(2026, 10, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LeftOut:
    """One run with ``detector`` off on one market, and what the catch-all recalled of each
    typology that detector targets (``recalled[typology] = (rings found, rings planted)``)."""

    profile: str
    seed: int
    detector: str
    recalled: dict[str, tuple[int, int]]
    blocks: int
    false_blocks: int
    ring_precision: float
    creator_f1: float
    calibration_error: float
    #: Every ring's score and whether it is correct, to pool calibration over seeds.
    scored: tuple[tuple[float, bool], ...]
    seconds: float


def left_out_runs(profile: str, seed: int, scale: float) -> list[LeftOut]:
    """Generate one market and run detection once per detector that targets a planted typology,
    with that detector off."""
    found = []
    with tempfile.TemporaryDirectory(prefix="ringwatch-loo-") as tmp:
        data = Path(tmp) / "snapshot"
        generate_snapshot(data, GeneratorConfig(scale=scale, seed=seed, profile=profile))
        snapshot = load_snapshot(data).snapshot
        labels = load_labels(data / "labels.csv")
        planted = set(labels["typology"])
        by_detector: dict[str, list[str]] = {}
        for typology, detector in TARGETED_BY.get(profile, {}).items():
            if typology in planted:
                by_detector.setdefault(detector, []).append(typology)
        for detector, typologies in sorted(by_detector.items()):
            started = time.perf_counter()
            store = LocalStore(Path(tmp) / f"store-{detector}")
            store.write_snapshot(snapshot)
            rings = run_detection(store, DetectionConfig(skip=(detector,)), now=RUN_AT,
                                  run_id=f"loo-{detector}").rings
            whole = assess(rings, labels)
            blocks = [r for r in rings if r["kind"] == KIND and r["score"] >= 0.5]
            result = evaluate(blocks, labels)
            overall = whole.evaluation.overall
            scores = [float(r["score"]) for r in rings if r.get("status") != "dissolved"]
            found.append(LeftOut(
                profile, seed, detector,
                {t: (result[t].recalled_rings, result[t].planted_rings) for t in typologies},
                len(blocks), result.overall.flagged_rings - result.overall.correct_rings,
                overall.ring_precision, overall.creator_f1,
                calibration_error(whole.calibration),
                tuple(zip(scores, map(bool, correct_rings(rings, labels)), strict=True)),
                time.perf_counter() - started))
    return found


def lines(run: LeftOut) -> list[str]:
    """One line per typology of ``run``, as the table of :func:`main` prints them."""
    return [f"{run.profile:<8} {run.seed:>4} {typology:<22} {run.detector:<17} "
            f"{found:>3}/{planted:<3} {found / planted if planted else 0.0:>6.3f} "
            f"{run.blocks:>6} {run.false_blocks:>6}   {run.ring_precision:>6.3f} "
            f"{run.creator_f1:>6.3f} {run.calibration_error:>5.2f} {run.seconds:>6.1f}"
            for typology, (found, planted) in run.recalled.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", nargs="+", default=list(TARGETED_BY), choices=list(TARGETED_BY))
    parser.add_argument("--seeds", nargs="+", type=int, default=[101, 102])
    parser.add_argument("--scale", type=float, default=0.25)
    args = parser.parse_args(argv)
    print(f"{'profile':<8} {'seed':>4} {'left-out typology':<22} {'detector off':<17} "
          f"{'recall':>7} {'':>6} {'blocks':>6} {'false':>6}   {'run P':>6} {'cre F1':>6} "
          f"{'ECE':>5} {'sec':>6}")
    for profile in args.profiles:
        for seed in args.seeds:
            for run in left_out_runs(profile, seed, args.scale):
                for line in lines(run):
                    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
