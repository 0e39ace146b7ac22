"""Detection stage against the bare igraph calls on the same projections.

Target (issue: detection): the detection stage (every detector, scoring,
evidence and metrics, from projections already read) costs at most 2x the
bare python-igraph work on the same projections: building the graphs the
detectors work on straight from the projection edge arrays and running the
community calls they make (connected components and Leiden, modularity) on
them — account-identifier links, creator-shop trade weighted by orders, and
buyer-creator orders. Both are measured in the same run, median of
``--repeat``; the ratio is what to read, not the seconds.

    python bench/bench_detection_overhead.py --data SNAPSHOT_DIR
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import igraph as ig
import numpy as np
import pandas as pd

from ringwatch.detectors.config import DetectionConfig
from ringwatch.detectors.context import MarketContext, read_context
from ringwatch.detectors.pipeline import find_rings
from ringwatch.detectors.scoring import MetricTables, context_evidence, metrics, score
from ringwatch.graph.local_store import LocalStore
from ringwatch.loaders import load_snapshot


def detection_stage(ctx: MarketContext, config: DetectionConfig) -> int:
    """What `ringwatch detect` does after reading projections: find, measure, score."""
    findings = find_rings(ctx, config)
    tables = MetricTables.from_context(ctx)
    for finding, ring_metrics in zip(findings, metrics(findings, tables, ctx.as_of_ms),
                                     strict=True):
        score(finding.evidence + context_evidence(ring_metrics, tables), config.scoring)
    return len(findings)


def _graph(left: pd.Series, right: pd.Series, weight: np.ndarray) -> ig.Graph:
    codes, names = pd.factorize(pd.concat([left, right], ignore_index=True))
    half = len(left)
    graph = ig.Graph(n=len(names), edges=np.column_stack([codes[:half], codes[half:]]))
    graph.es["weight"] = weight
    return graph


def bare_igraph(ctx: MarketContext, seed: int) -> int:
    """The igraph calls on the same projections, with no feature work around them."""
    ig.set_random_number_generator(random.Random(seed))
    links = ctx["identity_links"]
    identity = _graph(links["account_type"] + ":" + links["account_id"],
                      links["identifier_type"] + ":" + links["identifier"],
                      np.ones(len(links)))
    parts = len(identity.connected_components())
    parts += len(identity.community_leiden(objective_function="modularity", weights="weight"))
    trade = ctx["creator_shop_trade"]
    commerce = _graph("c:" + trade["creator_id"], "s:" + trade["shop_id"],
                      trade["orders"].to_numpy(dtype=np.float64))
    parts += len(commerce.community_leiden(objective_function="modularity", weights="weight"))
    orders = ctx["buyer_orders"]
    orders = orders[orders["creator_id"] != ""]
    buyers = _graph("b:" + orders["buyer_id"], "c:" + orders["creator_id"],
                    orders["orders"].to_numpy(dtype=np.float64))
    parts += len(buyers.connected_components())
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="Snapshot directory (default: generate one).")
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            from ringwatch.generator import GeneratorConfig, generate_snapshot

            data = Path(tmp) / "snapshot"
            generate_snapshot(data, GeneratorConfig(scale=args.scale, seed=7))
        store = LocalStore(Path(tmp) / "store")
        store.write_snapshot(load_snapshot(data).snapshot)
        ctx = read_context(store)
        config = DetectionConfig()
        ours, bare = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            rings = detection_stage(ctx, config)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            bare_igraph(ctx, config.seed)
            bare.append(time.perf_counter() - started)
        o, b = statistics.median(ours), statistics.median(bare)
        rows = sum(len(frame) for frame in ctx.projections.values())
        print(f"detection: {rows:,} projection rows; detection stage {o:.2f} s ({rings} rings); "
              f"bare igraph on the same projections {b:.2f} s; ratio {o / b:.2f}x "
              f"(target <= 2x)")


if __name__ == "__main__":
    main()
