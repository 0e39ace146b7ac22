"""Projections: the typed edge and node arrays every detector reads, the same from either store.

A projection is a DataFrame with fixed columns and dtypes, sorted by its key,
so that the local store's pandas computation and the Neo4j store's Cypher
aggregation can be compared row for row (the parity test) and the detectors
never know which store they run on. Times are epoch milliseconds (UTC), missing
text is ``""``, a missing time is ``<NA>`` (nullable ``Int64``).

Order projections carry the ``currency`` of the orders they aggregate (see
:func:`group_currency`), so that money summed from them can be labelled: a sum
is only worth a currency code when every order in it had that code.

The local store computes them here from its tables, vectorised; the Neo4j store
runs ``cypher/projection_<name>.cypher`` and passes its rows through
:func:`normalise`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ringwatch.domain import MIXED_CURRENCY

STR = "str"
I64 = "int64"
F64 = "float64"
MS = "Int64"  # epoch milliseconds, nullable


@dataclass(frozen=True)
class ProjectionSpec:
    """A projection's columns (name -> dtype) and the columns that identify one row.

    ``optional`` columns were added after the first version: a frame built
    without one (an older caller, a hand-built test market) gets it as
    missing instead of failing.
    """

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    doc: str
    optional: tuple[str, ...] = ()


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
             "rate_total": F64, "buyers": I64, "currency": STR},
            ("creator_id", "shop_id"),
            "Attributed orders aggregated per creator-shop pair. refunded_after_commission "
            "counts refunded orders with a paid or reversed commission created before the "
            "refund; rate_total / commissions is the mean commission rate; currency as in "
            "group_currency (commissions are paid in their order's currency).",
            optional=("currency",),
        ),
        ProjectionSpec(
            "buyer_orders",
            {"buyer_id": STR, "shop_id": STR, "creator_id": STR, "orders": I64, "gmv": F64,
             "refunded_orders": I64, "refunded_after_commission": I64, "currency": STR},
            ("buyer_id", "shop_id", "creator_id"),
            "Orders aggregated per buyer, shop and attributed creator (\"\" = organic); "
            "currency as in group_currency.",
            optional=("currency",),
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


#: Decimals kept of every real-valued projection column (money, rates and their sums). The
#: same numbers added in another order differ in the last bits, and pandas, Cypher and Spark
#: each add in their own: kept whole, a rate total one bit over a threshold in one engine and
#: one bit under in another gave the same pair a different verdict. A micro-unit is far below
#: any amount, rate or threshold the detectors read.
FLOAT_DECIMALS = 6


def normalise(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Cast a projection to its declared columns and dtypes (reals to :data:`FLOAT_DECIMALS`)
    and sort it by key.

    Both stores pass their result through here, so equal content gives equal frames.
    """
    spec = PROJECTIONS[name]
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in spec.columns})
    out = pd.DataFrame(index=range(len(frame)))
    for column, dtype in spec.columns.items():
        if column not in frame.columns and column in spec.optional:
            frame = frame.assign(**{column: None})
        values = frame[column].reset_index(drop=True)
        if dtype == STR:
            values = values.fillna("").astype(str)
        elif dtype == MS:
            values = pd.to_numeric(values).astype("Int64")
        elif dtype == I64:
            values = pd.to_numeric(values).fillna(0).astype(np.int64)
        else:
            values = pd.to_numeric(values).astype(np.float64).fillna(0.0).round(FLOAT_DECIMALS)
        out[column] = values
    return out.take(key_order(out, spec.key)).reset_index(drop=True)


def key_order(frame: pd.DataFrame, key: tuple[str, ...]) -> np.ndarray:
    """Row positions that sort ``frame`` by the ``key`` columns (stable; strings by code point).

    Arrow's sort of the key columns, not ``DataFrame.sort_values``: on ten million
    rows of string ids it is about ten times faster, and it orders strings the
    way Python does (UTF-8 byte order is code point order), so the result is the
    same row for row.
    """
    columns = pa.table({c: pa.Array.from_pandas(frame[c]) for c in key})
    return pc.sort_indices(columns, sort_keys=[(c, "ascending") for c in key]).to_numpy()


def group_currency(frame: pd.DataFrame, keys: str | list[str]) -> pd.Series:
    """The one currency of each group of ``frame``'s rows, indexed by the group keys.

    ``frame["currency"]`` holds an ISO code per row, ``""`` where unknown, or
    an earlier result of this function (so results combine the same way: a
    mixed part makes a mixed whole). A group gets ``""`` when no row has a
    code, the code when every row has that same code, and
    :data:`MIXED_CURRENCY` otherwise, also when only some rows have a code:
    a sum over them cannot honestly be labelled with one code. Detectors use
    it to label a ring's money from the projections' per-group currencies.
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    coded, names = _with_currency_codes(
        frame[keys].assign(currency=frame["currency"].fillna("").astype(str)))
    span = coded.groupby(keys, sort=False).agg(currency_lo=("currency_lo", "min"),
                                               currency_hi=("currency_hi", "max"))
    return _settle_currency(span, names)["currency"]


def _one_currency(lo: pd.Series, hi: pd.Series, names: pd.Index) -> np.ndarray:
    """Per group, from the smallest and largest currency code of its rows (see group_currency)."""
    labels = np.asarray(names, dtype=object)
    if not len(labels):
        return np.full(len(lo), "", dtype=object)
    return np.where(lo.to_numpy() == hi.to_numpy(), labels[lo.to_numpy()], MIXED_CURRENCY)


def order_currency(currency: pd.Series) -> pd.Series:
    """Orders' currency codes compared as codes: trimmed, upper case, ``""`` when missing.

    ``usd`` and ``USD`` are one currency; telling them apart would call a
    one-currency ring mixed. The Cypher projections apply the same
    ``toUpper(trim(...))``.
    """
    return currency.fillna("").astype(str).str.strip().str.upper()


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
    """Orders with their commissions folded in: count, amount, rate sum, refund-after-commission.

    Also the order's ``currency`` (see :func:`order_currency`).
    """
    orders = t["orders"][["order_id", "buyer_id", "shop_id", "creator_id", "amount", "status",
                          "refunded_at"]].assign(currency=order_currency(t["orders"]["currency"]))
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


def _with_currency_codes(facts: pd.DataFrame) -> tuple[pd.DataFrame, pd.Index]:
    """``facts`` with its currencies as integer codes (twice: the group's min and max)."""
    codes, names = pd.factorize(facts["currency"])
    return facts.assign(currency_lo=codes, currency_hi=codes), names


def _settle_currency(grouped: pd.DataFrame, names: pd.Index) -> pd.DataFrame:
    """Replace the min and max currency codes of each group by its currency (group_currency)."""
    lo, hi = grouped.pop("currency_lo"), grouped.pop("currency_hi")
    return grouped.assign(currency=_one_currency(lo, hi, names))


#: Order facts per orders table (by id), kept while that table object lives: see _shared_order_facts.
_FACTS: dict[int, tuple[weakref.ref, pd.DataFrame]] = {}


def _shared_order_facts(t: Tables) -> pd.DataFrame:
    """:func:`order_facts` of ``t``, computed once for the two order projections.

    ``creator_shop_trade`` and ``buyer_orders`` both start from the order facts;
    a detection run asks for both from the same cached tables, and the join is
    a tenth of the run at ten million rows. The result is remembered against
    the very ``orders`` and ``commissions`` objects it came from and forgotten
    when the orders table is garbage collected (a store that re-reads a changed
    table gets new objects, so never a stale answer).
    """
    orders, commissions = t["orders"], t["commissions"]
    held = _FACTS.get(id(orders))
    if held is not None and held[0]() is commissions:
        return held[1]
    facts = order_facts(t)
    _FACTS[id(orders)] = (weakref.ref(commissions), facts)
    weakref.finalize(orders, _FACTS.pop, id(orders), None)
    return facts


def _creator_shop_trade(t: Tables) -> pd.DataFrame:
    facts = _shared_order_facts(t)
    facts, names = _with_currency_codes(facts[facts["creator_id"] != ""])
    grouped = facts.groupby(["creator_id", "shop_id"], sort=False)
    return _settle_currency(grouped.agg(
        orders=("order_id", "size"), gmv=("amount", "sum"), refunded_orders=("refunded", "sum"),
        refunded_after_commission=("refunded_after_commission", "sum"),
        commissions=("commissions", "sum"), commission_total=("commission_total", "sum"),
        rate_total=("rate_total", "sum"), buyers=("buyer_id", "nunique"),
        currency_lo=("currency_lo", "min"), currency_hi=("currency_hi", "max"),
    ), names).reset_index()


def _buyer_orders(t: Tables) -> pd.DataFrame:
    facts, names = _with_currency_codes(_shared_order_facts(t))
    grouped = facts.groupby(["buyer_id", "shop_id", "creator_id"], sort=False)
    return _settle_currency(grouped.agg(
        orders=("order_id", "size"), gmv=("amount", "sum"), refunded_orders=("refunded", "sum"),
        refunded_after_commission=("refunded_after_commission", "sum"),
        currency_lo=("currency_lo", "min"), currency_hi=("currency_hi", "max"),
    ), names).reset_index()


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
