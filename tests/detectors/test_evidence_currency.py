"""Orders' currency reaches each ring's metrics and its money sentences, from either store.

A ring's ``metrics.currency`` is the one ISO code all its orders carry,
``"mixed"`` when they do not (also when only some carry one), and ``None``
when none does; money in evidence is said with it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ringwatch.detectors.pipeline import run_detection
from ringwatch.graph.projections import MIXED_CURRENCY, group_currency
from ringwatch.graph.store import GraphStore

from .market import Market


def _self_purchase_ring(store: GraphStore, tmp_path: Path, currencies: list[str]) -> dict:
    """The self-purchase ring of creator ``selfie`` whose orders carry ``currencies``.

    The ring has no shop, so its money is all of selfie's trade: exactly these orders.
    """
    market = Market()
    market.background()
    market.plant_self_purchase(orders=len(currencies), refunded=0)
    selfie = [row for row in market.rows["orders"] if row["creator_id"] == "selfie"]
    for row, currency in zip(selfie, currencies, strict=True):
        row["currency"] = currency
    if not any(currencies):  # a snapshot without currency data at all
        for row in market.rows["orders"]:
            row["currency"] = ""
    market.load(store, tmp_path / "snapshot")
    rings = run_detection(store).rings
    return next(r for r in rings if {"type": "creator", "id": "selfie"} in r["members"])


@pytest.mark.parametrize(("currencies", "expected", "said"), [
    (["EUR", "EUR", "EUR"], "EUR", "worth 120.00 EUR through"),
    (["eur", "EUR", "EUR"], "EUR", "worth 120.00 EUR through"),
    (["EUR", "USD", "EUR"], MIXED_CURRENCY, "worth 120.00 (summed over mixed currencies) through"),
    (["EUR", "", "EUR"], MIXED_CURRENCY, "worth 120.00 (summed over mixed currencies) through"),
    (["", "", ""], None, "worth 120.00 through"),
])
def test_ring_metrics_and_evidence_carry_the_orders_currency(
        store: GraphStore, tmp_path: Path, currencies: list[str], expected: str | None,
        said: str) -> None:
    ring = _self_purchase_ring(store, tmp_path, currencies)
    assert ring["metrics"]["currency"] == expected
    assert ring["metrics"]["orders"] == 3
    own_link = [e["text"] for e in ring["evidence"] if e["code"] == "own_link_orders"]
    assert len(own_link) == 1 and said in own_link[0], own_link


def test_a_collusion_ring_in_one_currency_says_it(store: GraphStore, tmp_path: Path) -> None:
    market = Market()
    market.background()
    market.plant_collusion()
    market.load(store, tmp_path / "snapshot")
    [ring] = [r for r in run_detection(store).rings if r["kind"] == "collusion_ring"]
    assert ring["metrics"]["currency"] == "USD"
    money = [e["text"] for e in ring["evidence"] if e["code"] == "commission_at_stake"]
    assert all(" USD commission" in text for text in money)


def test_group_currency_is_the_one_code_or_mixed_or_empty() -> None:
    rows = pd.DataFrame({
        "ring": [0, 0, 1, 1, 2, 2, 3, 4, 4],
        "currency": ["USD", "USD", "USD", "EUR", "", "", "EUR", "USD", MIXED_CURRENCY],
    })
    assert group_currency(rows, "ring").to_dict() == {
        0: "USD", 1: MIXED_CURRENCY, 2: "", 3: "EUR", 4: MIXED_CURRENCY}
    assert group_currency(rows.iloc[:0], "ring").empty
