"""Projections: the typed edge and node arrays every detector reads, the same from either store.

A projection is a DataFrame with fixed columns and dtypes, sorted by its key,
so that the local store's pandas computation and the Neo4j store's Cypher
aggregation can be compared row for row (the parity test) and the detectors
never know which store they run on. Times are epoch milliseconds (UTC), missing
text is ``""``, a missing time is ``<NA>`` (nullable ``Int64``).

Order projections carry the ``currency`` of the orders they aggregate (see
:func:`group_currency`), so that money summed from them can be labelled: a sum
is only worth a currency code when every order in it had that code.

Both stores compute them here, vectorised, from the snapshot's tables: the
local store from its own files (once per load, kept in the generation), the
Neo4j store from the tables it reads out of the graph in columns
(``graph/neo4j_projections.py``). One computation, so the two cannot drift.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ringwatch import native
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
#: Money and rates are added as whole units of ``10 ** -FLOAT_DECIMALS`` in int64, in every
#: engine: an integer sum is exact in any order, so pandas, Cypher's reader and Spark give
#: the same bits (a float sum's last bits depend on the order, and rounding to
#: FLOAT_DECIMALS still split a sum lying on a half unit). See :func:`sums_exactly`.
UNITS = 10 ** FLOAT_DECIMALS
#: The largest total :func:`sums_exactly` allows in units (int64 holds 2**63 - 1).
_EXACT_LIMIT = float(2 ** 62)


def sums_exactly(largest: float, rows: int) -> bool:
    """Whether ``rows`` values, none above ``largest``, add up in int64 units with no overflow.

    Decided per table from its largest value and its row count, both exact in any
    engine, so every engine decides alike. A table beyond it (over about 4.6e12
    currency units in all) is added as floats, equal to about 1e-12 relative.
    """
    return float(largest) * UNITS * max(int(rows), 1) < _EXACT_LIMIT


def in_units(values: pd.Series, exact: bool) -> np.ndarray:
    """Values as whole units (rounded half to even, int64) to add exactly, or scaled floats."""
    scaled = values.to_numpy(dtype=np.float64, na_value=np.nan) * UNITS
    return np.rint(scaled).astype(np.int64) if exact else scaled


def from_units(values: pd.Series) -> pd.Series:
    """A sum of :func:`in_units` values back in the values' own unit."""
    return values.astype(np.float64) / UNITS


def normalise(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Cast a projection to its declared columns and dtypes (reals to :data:`FLOAT_DECIMALS`)
    and sort it by key.

    Both stores pass their result through here, so equal content gives equal frames.
    """
    return _normalised(frame, name, sorted_by_key=False)


def _normalised(frame: pd.DataFrame, name: str, *, sorted_by_key: bool) -> pd.DataFrame:
    """:func:`normalise`; ``sorted_by_key`` when the caller knows its rows are in key order
    already (the order projections, whose codes give it), so that no sort is made."""
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
    if sorted_by_key:
        return out
    order, ranked = _key_order(out, spec.key)
    return _reordered(out, order, ranked)


def _reordered(frame: pd.DataFrame, order: np.ndarray,
               ranked: dict[str, tuple[np.ndarray, pa.Array]]) -> pd.DataFrame:
    """``frame.take(order)`` with a fresh index. A text column :func:`key_order` ranked (each
    row's rank among the sorted distinct values) is rebuilt from those values: a gather from
    a few distinct values (an identifier type) or a few hundred thousand (account ids) instead
    of from every row's text, 0.04 to 0.05 s less a column at two million links; a column
    Arrow would not give back with its dtype is taken as pandas takes it."""
    rebuilt = {}
    for column, (rank, names) in ranked.items():
        if not _is_text(names.type):
            continue
        values = names.take(pa.array(rank[order])).to_pandas()
        if values.dtype == frame[column].dtype:
            rebuilt[column] = values
    rest = [c for c in frame.columns if c not in rebuilt]
    out = frame[rest].take(order).reset_index(drop=True)
    if not rebuilt:
        return out
    return out.assign(**rebuilt)[list(frame.columns)]


def key_order(frame: pd.DataFrame, key: tuple[str, ...]) -> np.ndarray:
    """Row positions that sort ``frame`` by the ``key`` columns (stable; strings by code point).

    Arrow's sort of the key columns, not ``DataFrame.sort_values``: on ten million
    rows of string ids it is about ten times faster, and it orders strings the
    way Python does (UTF-8 byte order is code point order), so the result is the
    same row for row.

    For a key of several columns, all but the last are first numbered in their
    sort order (:func:`_ranks`) and folded into one int64, so Arrow sorts one
    integer column and compares text only between rows that tie on it (an
    account's identifiers): Arrow's comparison of four text columns, which
    ties on the account type for most rows, was twice as slow on the identity
    links. Both sorts are stable, so the order is the same.
    """
    return _key_order(frame, key)[0]


def _key_order(frame: pd.DataFrame, key: tuple[str, ...],
               ) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, pa.Array]]]:
    """:func:`key_order`, and the ranks it computed on the way, by column (see :func:`_ranks`;
    none when it sorted the columns as they are)."""
    columns = {c: _combined(pa.Array.from_pandas(frame[c])) for c in key}
    lead, last = key[:-1], key[-1]
    ranked = [_ranks(columns[c]) for c in lead]
    if lead and all(r is not None for r in ranked) and \
            math.prod(len(names) for _, names in ranked) < 1 << 62:
        folded = ranked[0][0]
        for codes, names in ranked[1:]:
            folded = folded * len(names) + codes
        table = pa.table({"lead": folded, "last": columns[last]})
        sort_keys = [("lead", "ascending"), ("last", "ascending")]
        ranks = dict(zip(lead, ranked, strict=True))
    else:
        table = pa.table(columns)
        sort_keys = [(c, "ascending") for c in key]
        ranks = {}
    return pc.sort_indices(table, sort_keys=sort_keys).to_numpy(), ranks


def _combined(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _ranks(values: pa.Array) -> tuple[np.ndarray, pa.Array] | None:
    """Each value's rank among the distinct values (int64, in Arrow's sort order) and the
    distinct values in that order (row ``i`` holds ``names[rank[i]]``); ``None`` when a
    value is missing (Arrow sorts those last: left to it)."""
    if values.null_count:
        return None
    # Arrow's hash, not the compiled kernels': the columns ranked here are mostly a few words
    # each (account and identifier types), which Arrow's table numbers three times faster.
    encoded = pc.dictionary_encode(values)
    return _in_sort_order(encoded.indices.to_numpy(), encoded.dictionary)


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


@dataclass(frozen=True)
class _CodedFacts:
    """Orders with their commissions folded in (count, amount, rate sum, refunded after a
    commission), each buyer, shop and creator id and currency an integer code into ``names``.

    Joining and grouping ten million rows on integer codes instead of text
    is several times faster (pandas hashes every string of a text key for a
    merge or a group-by, and again for each of them); the text comes back
    only for the groups, a fraction of the rows. Codes are -1 where the id
    is missing (never for ``creator``: a missing creator is ``""``, organic);
    currencies are :func:`order_currency`'s codes.
    """

    frame: pd.DataFrame
    names: dict[str, pa.Array]


def _encoded(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Codes of a column (int64, -1 where missing) and the value of each code.

    Text is numbered in its sort order (Arrow's byte order, which is
    :func:`key_order`'s), so that groups keyed by codes sort as their text
    would: sorting ten thousands of integers instead of sorting the text.
    """
    encoded = pc.dictionary_encode(_arrow(values)).combine_chunks()
    codes = encoded.indices.fill_null(-1).to_numpy().astype(np.int64)
    names = encoded.dictionary
    if not _is_text(names.type):
        return codes, names
    return _in_sort_order(codes, names)


def _in_sort_order(codes: np.ndarray, names: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """``codes`` into ``names`` (-1: missing) renumbered in the names' sort order (Arrow's),
    and the names in that order: row ``i`` holds ``sorted_names[new_codes[i]]``."""
    order = pc.sort_indices(names).to_numpy()
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    rank[-1] = -1  # a missing value (code -1) stays missing
    return rank[codes], names.take(pa.array(order))


def _is_text(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _arrow(values: pd.Series) -> pa.ChunkedArray:
    """A column as Arrow (no copy for the stores' Arrow-backed text; a column of nothing but
    missing values, as a hand-built empty table has, as text)."""
    arr = pa.Array.from_pandas(values)
    if pa.types.is_null(arr.type):
        arr = arr.cast(pa.string())
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def joint_codes(left: pd.Series, right: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of two columns of the same ids in one numbering (equal ids, equal codes; every
    missing id one code of its own, as pandas matches missing keys in a merge): a join or a
    distinct count on integers instead of on the ids' text."""
    first, second = _arrow(left), _arrow(right)
    if second.type != first.type:  # (plain and large text, from frames built apart)
        second = second.cast(first.type)
    arr = pa.chunked_array(first.chunks + second.chunks, type=first.type)
    # The compiled kernels number ids that nearly never repeat (orders, by their key and the
    # commissions naming them) three times faster than Arrow's hash table, which outgrows the
    # cache; ids of a few thousand values (shops) Arrow numbers as fast or faster (_encoded).
    numbered = native.factorize(arr)
    if numbered is not None:
        codes = numbered[0]
    else:
        encoded = pc.dictionary_encode(arr, null_encoding="encode").combine_chunks()
        codes = encoded.indices.to_numpy().astype(np.int64)
    return codes[:len(left)], codes[len(left):]


def _coded_order_facts(t: Tables) -> _CodedFacts:
    """:func:`order_facts` on integer codes: the two order projections' common work.

    No text column is carried through the joins: ids are codes, statuses are
    the booleans the aggregations need, currencies are codes into ``names``.
    """
    source = t["orders"]
    buyer, buyer_names = _encoded(source["buyer_id"])
    shop, shop_names = _encoded(source["shop_id"])
    creator, creator_names = _encoded(source["creator_id"].fillna(""))
    currency, currency_names = pd.factorize(order_currency(source["currency"]))
    refunded = (source["status"] == "refunded").to_numpy(dtype=bool, na_value=False)
    orders = pd.DataFrame({
        "buyer": buyer, "shop": shop, "creator": creator,
        "amount": in_units(source["amount"], _exact(source["amount"])),
        "refunded": refunded.astype(np.int64), "currency": currency,
    })
    names = {"buyer": buyer_names, "shop": shop_names, "creator": creator_names,
             "currency": pa.array(np.asarray(currency_names, dtype=object), pa.string())}
    commissions = t["commissions"]
    if orders.empty or commissions.empty:
        frame = orders.assign(commissions=0, commission_total=0, rate_total=0,
                              refunded_after_commission=0)
        return _CodedFacts(frame, names)
    order_code, paid_code = joint_codes(source["order_id"], commissions["order_id"])
    orders["order"] = order_code
    paid = pd.DataFrame({
        "order": paid_code, "amount": in_units(commissions["amount"], _exact(commissions["amount"])),
        "rate": in_units(commissions["rate"], _exact(commissions["rate"])),
        "created_at": commissions["created_at"].array,
        "settled": commissions["status"].isin(["paid", "reversed"]).to_numpy(dtype=bool,
                                                                              na_value=False),
    })
    paid = paid.merge(pd.DataFrame({"order": order_code, "refunded_at": source["refunded_at"].array,
                                    "order_refunded": refunded}), on="order")
    paid_before_refund = (
        paid["settled"] & paid["order_refunded"] & (paid["created_at"] < paid["refunded_at"])
    )
    per_order = paid.assign(after=paid_before_refund).groupby("order").agg(
        commissions=("amount", "size"), commission_total=("amount", "sum"),
        rate_total=("rate", "sum"), after=("after", "any"),
    )
    joined = _left_join_on_codes(order_code, per_order, {
        "commissions": 0, "commission_total": 0, "rate_total": 0, "after": False})
    frame = orders.drop(columns=["order"]).assign(
        commissions=joined["commissions"], commission_total=joined["commission_total"],
        rate_total=joined["rate_total"],
        refunded_after_commission=joined["after"].astype(np.int64))
    return _CodedFacts(frame, names)


def _left_join_on_codes(codes: np.ndarray, right: pd.DataFrame,
                        fills: Mapping[str, object]) -> dict[str, np.ndarray]:
    """``right``'s columns for each of ``codes``, looked up in ``right``'s sorted, unique integer
    index (a group-by's), ``fills[column]`` where a code is not there: a left join.

    A ``searchsorted`` and a take per column instead of a pandas merge (half the order
    facts' joining at two million orders); integer columns stay int64 (never through
    floats, which would round sums past 2**53), a float column's missing sums are 0.0 as
    ``fillna(0)`` makes them.
    """
    keys = right.index.to_numpy()
    if len(keys):
        at = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
        found = keys[at] == codes
    else:
        at, found = np.zeros(len(codes), dtype=np.int64), np.zeros(len(codes), dtype=bool)
    out = {}
    for column, fill in fills.items():
        values = right[column].to_numpy()
        joined = np.full(len(codes), fill, dtype=values.dtype)
        joined[found] = values[at[found]]
        if joined.dtype.kind == "f":
            joined[np.isnan(joined)] = 0.0
        out[column] = joined
    return out


def _exact(values: pd.Series) -> bool:
    """:func:`sums_exactly` for one money or rate column (every group sum of it is at most its total)."""
    if values.isna().any():  # no whole unit for a missing value (the contract requires them)
        return False
    return sums_exactly(values.max() if len(values) else 0.0, len(values))


def _money_back(grouped: pd.DataFrame) -> pd.DataFrame:
    """The group sums of money and rates (``gmv``, ``commission_total``, ``rate_total``) from units."""
    return grouped.assign(**{c: from_units(grouped[c]) for c in
                             ("gmv", "commission_total", "rate_total") if c in grouped})


def _with_currency_codes(facts: pd.DataFrame) -> tuple[pd.DataFrame, pd.Index]:
    """``facts`` with its currencies as integer codes (twice: the group's min and max)."""
    codes, names = pd.factorize(facts["currency"])
    return facts.assign(currency_lo=codes, currency_hi=codes), names


def _with_coded_currency(facts: _CodedFacts, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Index]:
    """:func:`_with_currency_codes` for coded facts, whose currencies are codes already."""
    codes = frame["currency"]
    names = pd.Index(facts.names["currency"].to_pylist(), dtype=object)
    return frame.assign(currency_lo=codes, currency_hi=codes), names


def _settle_currency(grouped: pd.DataFrame, names: pd.Index) -> pd.DataFrame:
    """Replace the min and max currency codes of each group by its currency (group_currency)."""
    lo, hi = grouped.pop("currency_lo"), grouped.pop("currency_hi")
    return grouped.assign(currency=_one_currency(lo, hi, names))


#: Order facts per orders table (by id), kept while that table object lives: see _shared_order_facts.
_FACTS: dict[int, tuple[weakref.ref, _CodedFacts]] = {}


def _shared_order_facts(t: Tables) -> _CodedFacts:
    """:func:`_coded_order_facts` of ``t``, computed once for the two order projections.

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
    facts = _coded_order_facts(t)
    _FACTS[id(orders)] = (weakref.ref(commissions), facts)
    weakref.finalize(orders, _FACTS.pop, id(orders), None)
    return facts


def _group_key(codes: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """One int64 per row for a group-by on several code columns (codes >= 0)."""
    key = codes[0].copy()
    for more, size in zip(codes[1:], sizes[1:], strict=True):
        key *= size
        key += more
    return key


def _grouped_by_codes(facts: _CodedFacts, frame: pd.DataFrame, keys: list[str],
                      aggregations: dict[str, tuple[str, str]],
                      ) -> tuple[pd.DataFrame, bool]:
    """``frame`` (rows of ``facts``) grouped by the coded ``keys`` and aggregated, with each
    key's text back in its ``<key>_id`` column; and whether the groups are in key order,
    which they are when the codes give it (every key text: see :func:`_encoded`), for
    :func:`_normalised`.

    The groups are put in that order before their text is built: the text of three
    ids a group is gathered once, in place, instead of once to build it and again to
    sort it (buyer_orders 0.38 to 0.26 s of CPU at two million orders).

    Rows with a missing key drop out, as pandas' group-by drops them; within a
    group the rows keep their order, so every sum adds the same numbers in the
    same order as a group-by on the text would.
    """
    sizes = [max(1, len(facts.names[k])) for k in keys]
    if math.prod(sizes) >= 1 << 62:  # cannot happen below 2**20 ids per key; refuse, never wrap
        raise OverflowError(f"too many distinct ids to group by {', '.join(keys)}")
    present = np.logical_and.reduce([frame[k].to_numpy() >= 0 for k in keys])
    if not present.all():
        frame = frame[present]
    key = _group_key([frame[k].to_numpy() for k in keys], sizes)
    grouped = frame.groupby(key, sort=False).agg(**aggregations)
    at = grouped.index.to_numpy()
    in_key_order = all(_is_text(facts.names[k].type) for k in keys)
    if in_key_order:
        ordered = np.argsort(at)  # the groups' keys are distinct: any sort is stable
        grouped, at = grouped.take(ordered), at[ordered]
    columns = {}
    for name, size in zip(reversed(keys), reversed(sizes), strict=True):
        at, code = np.divmod(at, size)
        columns[f"{name}_id"] = facts.names[name].take(pa.array(code)).to_pandas()
    grouped = grouped.reset_index(drop=True).assign(**{f"{k}_id": columns[f"{k}_id"] for k in keys})
    return grouped, in_key_order


def _creator_shop_trade(t: Tables) -> pd.DataFrame:
    facts = _shared_order_facts(t)
    organic = facts.names["creator"].index("").as_py() if len(facts.names["creator"]) else -1
    frame = facts.frame[facts.frame["creator"].to_numpy() != organic]
    if (frame["buyer"].to_numpy() < 0).any():  # a missing buyer is no buyer (nunique skips it)
        frame = frame.assign(buyer=frame["buyer"].where(frame["buyer"] >= 0))
    frame, names = _with_coded_currency(facts, frame)
    grouped, in_key_order = _grouped_by_codes(facts, frame, ["creator", "shop"], dict(
        orders=("amount", "size"), gmv=("amount", "sum"), refunded_orders=("refunded", "sum"),
        refunded_after_commission=("refunded_after_commission", "sum"),
        commissions=("commissions", "sum"), commission_total=("commission_total", "sum"),
        rate_total=("rate_total", "sum"), buyers=("buyer", "nunique"),
        currency_lo=("currency_lo", "min"), currency_hi=("currency_hi", "max"),
    ))
    return _normalised(_settle_currency(_money_back(grouped), names), "creator_shop_trade",
                       sorted_by_key=in_key_order)


def _buyer_orders(t: Tables) -> pd.DataFrame:
    facts = _shared_order_facts(t)
    frame, names = _with_coded_currency(facts, facts.frame)
    grouped, in_key_order = _grouped_by_codes(facts, frame, ["buyer", "shop", "creator"], dict(
        orders=("amount", "size"), gmv=("amount", "sum"), refunded_orders=("refunded", "sum"),
        refunded_after_commission=("refunded_after_commission", "sum"),
        currency_lo=("currency_lo", "min"), currency_hi=("currency_hi", "max"),
    ))
    return _normalised(_settle_currency(_money_back(grouped), names), "buyer_orders",
                       sorted_by_key=in_key_order)


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


#: Each projection's rows from the tables; ``True``: normalised already (the order projections
#: know their key order from their codes).
FROM_TABLES: dict[str, tuple[Callable[[Tables], pd.DataFrame], bool]] = {
    "creators": (_creators, False),
    "shops": (_shops, False),
    "identity_links": (_identity_links, False),
    "creator_shop_trade": (_creator_shop_trade, True),
    "buyer_orders": (_buyer_orders, True),
    "affiliations": (_affiliations, False),
    "allowlist": (_allowlist, False),
}


def from_tables(tables: Tables, name: str) -> pd.DataFrame:
    """Compute projection ``name`` from snapshot-shaped tables (the local store's way)."""
    if name not in PROJECTIONS:
        raise KeyError(f"unknown projection {name!r}; known: {', '.join(PROJECTIONS)}")
    build, normalised = FROM_TABLES[name]
    frame = build(tables)
    return frame if normalised else normalise(frame, name)
