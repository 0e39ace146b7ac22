"""Settlement: when orders are refunded and what becomes of their commissions.

Timing is the heart of commission abuse, so it is decided here, once, for every
order: a commission is created a few days after an attributed order (delivery),
paid out ``SETTLEMENT`` later, and reversed if the order is refunded in time.
Honest refunds mostly come within days, sometimes before the commission exists;
a scheme's refunds come after the payout, when clawing back often fails.
Events after the snapshot's end have not happened yet: such a refund is not in
the data and such a commission does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clock import DAY, HOUR, SETTLEMENT, SNAPSHOT_END
from .market import Market

ORDER_STATUSES = ("completed", "refunded", "cancelled")
COMPLETED, REFUNDED, CANCELLED = range(3)
COMMISSION_STATUSES = ("pending", "paid", "reversed")
PENDING, PAID, REVERSED = range(3)

#: Chance that a refund after payout is never clawed back (the commission stays paid).
_UNRECOVERED_HONEST = 0.2
_UNRECOVERED_SCHEME = 0.5
#: Chance that an order refunded before its commission was due still gets one, reversed.
_REVERSED_STUB = 0.3


@dataclass(frozen=True)
class Ledger:
    """Final orders, commissions and affiliations as integer-coded columns."""

    orders: dict[str, np.ndarray]
    commissions: dict[str, np.ndarray]
    affiliations: dict[str, np.ndarray]


def settle(market: Market, *, rng: np.random.Generator) -> Ledger:
    """Time every refund and commission and derive commission rows from attributed orders."""
    orders = market.orders.concat()
    affiliations = market.final_affiliations()
    n = len(orders["buyer"])
    placed = orders["placed_at"]
    attributed = orders["creator"] >= 0

    created = placed + (rng.lognormal(np.log(3 * DAY), 0.6, n)).astype(np.int64)
    refunded_at = placed + 2 * HOUR + rng.lognormal(np.log(6 * DAY), 0.75, n).astype(np.int64)
    late = orders["late_refund"] & attributed
    refunded_at[late] = created[late] + SETTLEMENT + rng.integers(DAY, 30 * DAY, int(late.sum()))
    refunded = orders["refunded"] & (refunded_at < SNAPSHOT_END)
    status = np.where(orders["cancelled"], CANCELLED, np.where(refunded, REFUNDED, COMPLETED))
    refunded_at = np.where(status == REFUNDED, refunded_at, -1)

    early_refund = refunded & (refunded_at < created)
    exists = (attributed & (status != CANCELLED) & (created < SNAPSHOT_END)
              & (~early_refund | (rng.random(n) < _REVERSED_STUB)))
    after_payout = refunded & (refunded_at >= created + SETTLEMENT)
    unrecovered = rng.random(n) < np.where(late, _UNRECOVERED_SCHEME, _UNRECOVERED_HONEST)
    commission_status = np.where(
        refunded, np.where(after_payout & unrecovered, PAID, REVERSED),
        np.where(created + SETTLEMENT <= SNAPSHOT_END, PAID, PENDING))

    rows = np.flatnonzero(exists)
    key = orders["creator"][rows] * len(market.shops.seller) + orders["shop"][rows]
    where = np.searchsorted(affiliations["key"], key)
    if rows.size and (where.max() >= len(affiliations["key"])
                      or not np.array_equal(affiliations["key"][where], key)):
        raise AssertionError("an attributed order has no affiliation behind it")
    rate = affiliations["rate"][where]
    commissions = {
        "order": rows, "creator": orders["creator"][rows], "shop": orders["shop"][rows],
        "amount": np.round(rate * orders["amount"][rows], 2), "rate": rate,
        "created_at": created[rows], "status": commission_status[rows],
    }
    final_orders = {name: orders[name] for name in ("buyer", "shop", "creator", "amount",
                                                    "placed_at")}
    final_orders.update(status=status, refunded_at=refunded_at)
    return Ledger(orders=final_orders, commissions=commissions, affiliations=affiliations)
