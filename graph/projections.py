"""Projections: the typed edge and node arrays every detector reads, the same from either store.

A projection is a DataFrame with fixed columns and dtypes, sorted by its key,
so that the local store's pandas computation and the Neo4j store's Cypher
aggregation can be compared row for row (the parity test) and the detectors
never know which store they run on. Times are epoch milliseconds (UTC), missing
text is ``""``, a missing time is ``<NA>`` (nullable ``Int64``).

The local store computes them here from its tables, vectorised; the Neo4j store
runs ``cypher/projection_<name>.cypher`` and passes its rows through
:func:`normalise`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

STR = "str"
I64 = "int64"
F64 = "float64"
MS = "Int64"  # epoch milliseconds, nullable


@dataclass(frozen=True)
class ProjectionSpec:
    """A projection's columns (name -> dtype) and the columns that identify one row."""

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    doc: str


PROJECTIONS: dict[str, ProjectionSpec] = {
    spec.name: spec
    for spec in (
        ProjectionSpec(
            "creators",
            {"creator_id": STR, "registered_at_ms": MS, "agency_id": STR, "violations": I64,
             "severe_violations": I64},
            ("creator_id",),
            "One row per creator: registration, declared agency, prior violations "
            "(severe = medium or high).",
        ),
        ProjectionSpec(
            "shops",
            {"shop_id": STR, "seller_id": STR, "registered_at_ms": MS, "category": STR},
            ("shop_id",),
            "One row per shop with its seller.",
        ),
        ProjectionSpec(
            "identity_links",
            {"account_type": STR, "account_id": STR, "identifier_type": STR, "identifier": STR,
             "events": I64, "first_seen_ms": MS, "last_seen_ms": MS},
            ("account_type", "account_id", "identifier_type", "identifier"),
            "Account-identifier links (USES), the raw material of identity rings.",
        ),
        ProjectionSpec(
            "creator_shop_trade",
            {"creator_id": STR, "shop_id": STR, "orders": I64, "gmv": F64, "refunded_orders": I64,
             "refunded_after_commission": I64, "commissions": I64, "commission_total": F64,
             "rate_total": F64, "buyers": I64},
            ("creator_id", "shop_id"),
            "Attributed orders aggregated per creator-shop pair. refunded_after_commission "
            "counts refunded orders with a paid or reversed commission created before the "
            "refund; rate_total / commissions is the mean commission rate.",
        ),
        ProjectionSpec(
            "buyer_orders",
            {"buyer_id": STR, "shop_id": STR, "creator_id": STR, "orders": I64, "gmv": F64,
             "refunded_orders": I64, "refunded_after_commission": I64},
            ("buyer_id", "shop_id", "creator_id"),
            "Orders aggregated per buyer, shop and attributed creator (\"\" = organic).",
        ),
        ProjectionSpec(
            "affiliations",
            {"creator_id": STR, "shop_id": STR, "commission_rate": F64, "started_at_ms": MS},
            ("creator_id", "shop_id"),
            "Declared creator-shop affiliations (PROMOTES) with their agreed rate.",
        ),
        ProjectionSpec(
            "allowlist",
            {"identifier_type": STR, "identifier": STR, "owner": STR, "reason": STR,
             "expires_at_ms": MS},
            ("identifier_type", "identifier"),
            "Identifiers known to be shared legitimately, with owner, reason and expiry.",
        ),
    )
}


def normalise(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Cast a projection to its declared columns and dtypes and sort it by key.

    Both stores pass their result through here, so equal content gives equal frames.
    """
    spec = PROJECTIONS[name]
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in spec.columns})
    out = pd.DataFrame(index=range(len(frame)))
    for column, dtype in spec.columns.items():
        values = frame[column].reset_index(drop=True)
        if dtype == STR:
            values = values.fillna("").astype(str)
        elif dtype == MS:
            values = pd.to_numeric(values).astype("Int64")
        elif dtype == I64:
            values = pd.to_numeric(values).fillna(0).astype(np.int64)
        else:
            values = pd.to_numeric(values).astype(np.float64).fillna(0.0)
        out[column] = values
    return out.sort_values(list(spec.key), kind="stable").reset_index(drop=True)


def epoch_ms(values: pd.Series) -> pd.Series:
    """UTC timestamps to epoch milliseconds, missing kept as <NA>."""
    ms = values.dt.tz_convert("UTC").astype("datetime64[ms, UTC]")
    return pd.Series(ms.array.asi8, index=values.index).where(values.notna()).astype("Int64")


# --- the local store's implementations, from its tables -------------------------------------

Tables = Mapping[str, pd.DataFrame]


def _creators(t: Tables) -> pd.DataFrame:
    creators = t["creators"]
    violations = t["violations"]
    counts = violations.groupby("creator_id").size()
    severe = violations[violations["severity"].isin(["medium", "high"])].groupby("creator_id").size()
    return pd.DataFrame({
        "creator_id": creators["creator_id"],
        "registered_at_ms": epoch_ms(creators["registered_at"]),
        "agency_id": creators["agency_id"],
        "violations": creators["creator_id"].map(counts),
        "severe_violations": creators["creator_id"].map(severe),
    })


def _shops(t: Tables) -> pd.DataFrame:
    shops = t["shops"]
    return pd.DataFrame({
        "shop_id": shops["shop_id"], "seller_id": shops["seller_id"],
        "registered_at_ms": epoch_ms(shops["registered_at"]), "category": shops["category"],
    })


def _identity_links(t: Tables) -> pd.DataFrame:
    links = t["identity_links"]
    return pd.DataFrame({
        "account_type": links["account_type"], "account_id": links["account_id"],
        "identifier_type": links["identifier_type"], "identifier": links["identifier"],
        "events": links["events"], "first_seen_ms": epoch_ms(links["first_seen"]),
        "last_seen_ms": epoch_ms(links["last_seen"]),
    })


def order_facts(t: Tables) -> pd.DataFrame:
    """Orders with their commissions folded in: count, amount, rate sum, refund-after-commission."""
    orders = t["orders"][["order_id", "buyer_id", "shop_id", "creator_id", "amount", "status",
                          "refunded_at"]]
    commissions = t["commissions"][["order_id", "amount", "rate", "created_at", "status"]]
    if orders.empty or commissions.empty:  # (pandas cannot merge empty Arrow-backed keys)
        commissions = commissions.iloc[:0]
        facts = orders.assign(commissions=0, commission_total=0.0, rate_total=0.0,
                              refunded_after_commission=0)
        facts["refunded"] = (facts["status"] == "refunded").astype(np.int64)
        facts["creator_id"] = facts["creator_id"].fillna("")
        return facts
    commissions = commissions.merge(orders[["order_id", "refunded_at", "status"]], on="order_id",
                                    suffixes=("", "_order"))
    paid_before_refund = (
        commissions["status"].isin(["paid", "reversed"])
        & (commissions["status_order"] == "refunded")
        & (commissions["created_at"] < commissions["refunded_at"])
    )
    per_order = commissions.assign(after=paid_before_refund).groupby("order_id").agg(
        commissions=("amount", "size"), commission_total=("amount", "sum"),
        rate_total=("rate", "sum"), after=("after", "any"),
    )
    facts = orders.merge(per_order, left_on="order_id", right_index=True, how="left")
    facts["commissions"] = facts["commissions"].fillna(0).astype(np.int64)
    facts["commission_total"] = facts["commission_total"].fillna(0.0)
    facts["rate_total"] = facts["rate_total"].fillna(0.0)
    facts["refunded_after_commission"] = facts["after"].fillna(False).astype(bool).astype(np.int64)
    facts["refunded"] = (facts["status"] == "refunded").astype(np.int64)
    facts["creator_id"] = facts["creator_id"].fillna("")
    return facts


def _creator_shop_trade(t: Tables) -> pd.DataFrame:
    facts = order_facts(t)
    facts = facts[facts["creator_id"] != ""]
    grouped = facts.groupby(["creator_id", "shop_id"], sort=False)
    return grouped.agg(
        orders=("order_id", "size"), gmv=("amount", "sum"), refunded_orders=("refunded", "sum"),
        refunded_after_commission=("refunded_after_commission", "sum"),
        commissions=("commissions", "sum"), commission_total=("commission_total", "sum"),
        rate_total=("rate_total", "sum"), buyers=("buyer_id", "nunique"),
    ).reset_index()


def _buyer_orders(t: Tables) -> pd.DataFrame:
    facts = order_facts(t)
    grouped = facts.groupby(["buyer_id", "shop_id", "creator_id"], sort=False)
    return grouped.agg(
        orders=("order_id", "size"), gmv=("amount", "sum"), refunded_orders=("refunded", "sum"),
        refunded_after_commission=("refunded_after_commission", "sum"),
    ).reset_index()


def _affiliations(t: Tables) -> pd.DataFrame:
    a = t["affiliations"]
    return pd.DataFrame({"creator_id": a["creator_id"], "shop_id": a["shop_id"],
                         "commission_rate": a["commission_rate"],
                         "started_at_ms": epoch_ms(a["started_at"])})


def _allowlist(t: Tables) -> pd.DataFrame:
    a = t["allowlist"]
    return pd.DataFrame({"identifier_type": a["identifier_type"], "identifier": a["identifier"],
                         "owner": a["owner"], "reason": a["reason"],
                         "expires_at_ms": epoch_ms(a["expires_at"])})


FROM_TABLES: dict[str, Callable[[Tables], pd.DataFrame]] = {
    "creators": _creators,
    "shops": _shops,
    "identity_links": _identity_links,
    "creator_shop_trade": _creator_shop_trade,
    "buyer_orders": _buyer_orders,
    "affiliations": _affiliations,
    "allowlist": _allowlist,
}


def from_tables(tables: Tables, name: str) -> pd.DataFrame:
    """Compute projection ``name`` from snapshot-shaped tables (the local store's way)."""
    if name not in PROJECTIONS:
        raise KeyError(f"unknown projection {name!r}; known: {', '.join(PROJECTIONS)}")
    return normalise(FROM_TABLES[name](tables), name)
