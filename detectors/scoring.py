"""Scores and metrics of a ring: what a reviewer sorts by and checks first.

The evidence score is ``1 - prod(1 - w)`` over the strongest weight of each
*kind* of evidence (each capped below 1): independent kinds reinforce each
other, ten repeats of one kind do not saturate the score, and the result stays
in [0, 1]. Money decides the last part (``money_share``), so that among rings
proven equally well the ones that drain more commission rank first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import ScoringConfig
from .context import MarketContext
from .rings import Evidence, Finding

_DAY_MS = 86_400_000


def score(evidence: list[Evidence], commission: float = 0.0, commission_scale: float = 0.0,
          config: ScoringConfig = ScoringConfig()) -> float:
    """Combine evidence weights (and the money at stake) into a score in [0, 1]."""
    strongest: dict[str, float] = {}
    for e in evidence:
        strongest[e.code] = max(strongest.get(e.code, 0.0), e.weight)
    weights = np.clip(list(strongest.values()), 0.0, config.max_evidence_weight)
    proof = 1.0 - float(np.prod(1.0 - weights)) if len(weights) else 0.0
    money = commission / (commission + commission_scale) if commission_scale > 0 else 0.0
    return round((1.0 - config.money_share) * proof + config.money_share * proof * money, 4)


@dataclass(frozen=True)
class MetricTables:
    """Indexed projections so that each ring's metrics cost a lookup, not a scan."""

    trade_by_creator: pd.DataFrame
    creators: pd.DataFrame
    commission_p95: float

    @classmethod
    def from_context(cls, ctx: MarketContext) -> MetricTables:
        trade = ctx["creator_shop_trade"]
        per_creator = trade.groupby("creator_id")["commission_total"].sum()
        p95 = float(per_creator.quantile(0.95)) if len(per_creator) else 0.0
        return cls(trade.set_index("creator_id").sort_index(),
                   ctx["creators"].set_index("creator_id"), p95)


def metrics(finding: Finding, tables: MetricTables, as_of_ms: int) -> dict:
    """Members by type, money, refunds, account ages and prior violations of one ring."""
    by_type = Counter(m.type for m in finding.members)
    creators = sorted(m.id for m in finding.members if m.type == "creator")
    shops = {m.id for m in finding.members if m.type == "shop"}
    known = [c for c in creators if c in tables.trade_by_creator.index]
    trade = tables.trade_by_creator.loc[known] if known else tables.trade_by_creator.iloc[:0]
    if shops:
        trade = trade[trade["shop_id"].isin(shops)]
    orders = int(trade["orders"].sum())
    info = tables.creators.reindex(creators)
    ages = (as_of_ms - info["registered_at_ms"].dropna().astype("int64")) / _DAY_MS
    return {
        **{f"{t}s" if not t.endswith("s") else t: n for t, n in sorted(by_type.items())},
        "orders": orders,
        "commission_total": round(float(trade["commission_total"].sum()), 2),
        "refund_rate": round(float(trade["refunded_orders"].sum()) / orders, 4) if orders else 0.0,
        "refunded_after_commission": int(trade["refunded_after_commission"].sum()),
        "median_account_age_days": round(float(ages.median()), 1) if len(ages) else None,
        "prior_violations": int(info["violations"].fillna(0).sum()),
        **finding.metrics,
    }


def context_evidence(ring_metrics: dict, tables: MetricTables) -> list[Evidence]:
    """Evidence every kind shares: money at stake and prior violations."""
    found = []
    commission = ring_metrics.get("commission_total", 0.0)
    if tables.commission_p95 > 0 and commission >= tables.commission_p95:
        found.append(Evidence(
            "commission_at_stake",
            f"the ring's creators earned {commission:,.2f} commission here, more than 95% of "
            f"creators earn in total", 0.2))
    violations = ring_metrics.get("prior_violations", 0)
    if violations:
        found.append(Evidence("prior_violations",
                              f"its creators have {violations} prior policy violations",
                              min(0.3, 0.1 * violations)))
    return found
