"""Loader benchmark: read + validate a 1,000,000-row orders table vs a bare pandas read.

Target (issue: foundation): read + validate costs at most 2x a bare
``pandas.read_csv(path, engine="pyarrow")`` of the same file, both measured in
the same run (the median of ``--repeat`` runs each, alternating, because this
machine is noisy). Prints one line with both times and the ratio.

    python bench/bench_loader.py --rows 1000000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ringwatch.domain import UTC_STAMP_FORMAT
from ringwatch.loaders.read import read_table
from ringwatch.loaders.validate import validate_table
from ringwatch.tables import TABLES_BY_NAME


def write_orders(path: Path, rows: int, *, seed: int = 1) -> tuple[pa.Array, pa.Array]:
    """Write a realistic orders CSV (about 1% bad rows) and return the known shop and creator ids."""
    rng = np.random.default_rng(seed)
    shops = np.char.add("s_", np.arange(20_000).astype(str))
    creators = np.char.add("c_", np.arange(50_000).astype(str))
    placed = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 300 * 86_400, rows), unit="s")
    status = rng.choice(["completed", "refunded", "cancelled"], rows, p=[0.9, 0.07, 0.03])
    refunded = np.where(status == "refunded",
                        (placed + pd.Timedelta(days=3)).strftime(UTC_STAMP_FORMAT), "")
    creator = np.where(rng.random(rows) < 0.4, rng.choice(creators, rows), "")
    amount = np.round(rng.lognormal(3, 1, rows), 2).astype(str)
    bad = rng.random(rows) < 0.01
    amount = np.where(bad, "n/a", amount)
    frame = pa.table({
        "order_id": np.char.add("o_", rng.permutation(rows).astype(str)),
        "buyer_id": np.char.add("b_", rng.integers(0, rows // 5, rows).astype(str)),
        "shop_id": rng.choice(shops, rows),
        "creator_id": creator,
        "amount": amount,
        "currency": np.full(rows, "USD"),
        "placed_at": placed.strftime(UTC_STAMP_FORMAT),
        "status": status,
        "refunded_at": refunded,
    })
    pacsv.write_csv(frame, path)
    return pa.array(shops), pa.array(creators)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.csv"
        shops, creators = write_orders(path, args.rows)
        known = {("shops", "shop_id"): shops, ("creators", "creator_id"): creators}
        spec = TABLES_BY_NAME["orders"]
        bare, ours = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            pd.read_csv(path, engine="pyarrow")
            bare.append(time.perf_counter() - started)
            started = time.perf_counter()
            validated = validate_table(read_table(path), spec, known)
            ours.append(time.perf_counter() - started)
        assert validated.read == validated.loaded + validated.quarantined
        b, o = statistics.median(bare), statistics.median(ours)
        print(f"loader: {args.rows:,} orders rows; bare pandas.read_csv(engine=pyarrow) {b:.2f} s; "
              f"read + validate {o:.2f} s ({validated.quarantined:,} quarantined); "
              f"ratio {o / b:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
