"""A small, valid snapshot written to CSV with ids under a prefix: several of them never share a row.

Why not the generator: tests of concurrent loads and of refused columns need
snapshots that differ in every key (so that a lost row is visible in counts)
and that are cheap to make in any size, with extra columns chosen by the test.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

#: Rows per table of a snapshot of ``creators`` creators (see :func:`small_snapshot_tables`).
ORDERS_PER_CREATOR = 3


def small_snapshot_tables(prefix: str, creators: int) -> dict[str, pd.DataFrame]:
    """The five required tables, as text, every id starting with ``prefix``.

    ``creators`` creators, a shop (and seller) per four creators, one device per
    three creators, ``ORDERS_PER_CREATOR`` attributed orders per creator from
    seven buyers, and a commission on each creator's first order: every row
    valid, every reference resolved.
    """
    shops = max(1, creators // 4)
    creator = [f"{prefix}c{i}" for i in range(creators)]
    orders = [(f"{prefix}o{i}_{k}", f"{prefix}b{i % 7}", f"{prefix}s{i % shops}", creator[i])
              for i in range(creators) for k in range(ORDERS_PER_CREATOR)]
    return {
        "creators": pd.DataFrame({
            "creator_id": creator, "registered_at": "2026-01-01", "region": "US",
            "agency_id": [f"{prefix}ag{i % 3}" if i % 5 == 0 else "" for i in range(creators)]}),
        "shops": pd.DataFrame({
            "shop_id": [f"{prefix}s{j}" for j in range(shops)],
            "seller_id": [f"{prefix}sel{j}" for j in range(shops)],
            "registered_at": "2026-01-01", "region": "US", "category": "beauty"}),
        "identity_links": pd.DataFrame({
            "account_type": "creator", "account_id": creator, "identifier_type": "device",
            "identifier": [f"{prefix}d{i // 3}" for i in range(creators)],
            "first_seen": "2026-01-02", "last_seen": "", "events": "1"}),
        "orders": pd.DataFrame({
            "order_id": [o[0] for o in orders], "buyer_id": [o[1] for o in orders],
            "shop_id": [o[2] for o in orders], "creator_id": [o[3] for o in orders],
            "amount": "10.0", "currency": "USD", "placed_at": "2026-02-01",
            "status": "completed", "refunded_at": ""}),
        "commissions": pd.DataFrame({
            "commission_id": [f"{prefix}cm{i}" for i in range(creators)],
            "order_id": [f"{prefix}o{i}_0" for i in range(creators)],
            "creator_id": creator, "shop_id": [f"{prefix}s{i % shops}" for i in range(creators)],
            "amount": "1.0", "rate": "0.1", "created_at": "2026-02-02", "status": "paid"}),
    }


def write_small_snapshot(directory: Path, *, prefix: str, creators: int,
                         extra: Mapping[str, Mapping[str, str]] | None = None) -> Path:
    """Write :func:`small_snapshot_tables` as ``TABLE.csv`` files into ``directory``; return it.

    ``extra`` adds columns: ``{table: {column: value}}``, the same value in every row.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for table, frame in small_snapshot_tables(prefix, creators).items():
        for column, value in (extra or {}).get(table, {}).items():
            frame[column] = value
        frame.to_csv(directory / f"{table}.csv", index=False)
    return directory
