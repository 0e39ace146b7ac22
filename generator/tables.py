"""From the integer-coded market to the contract's tables (Arrow), and the labels.

Opaque ids are given here, from keys drawn once per snapshot; rows are written
in time order (ties in random order), the way a real export comes, so neither an
id nor a row's position says whether it was planted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from .catalog import CATEGORY_NAMES, CURRENCY, POLICIES, REGIONS, SEVERITIES
from .clock import DAY, SNAPSHOT_END
from .iso_times import iso_utc
from .market import ACCOUNT_TYPES, BUYER, IDENTIFIER_TYPES, LABEL_ACCOUNT_TYPES, Market
from .opaque_ids import OpaqueIds, encode_ids
from .settlement import COMMISSION_STATUSES, ORDER_STATUSES, Ledger

_IDENTIFIER_PREFIXES = ("d_", "ip_", "pa_", "ph_", "em_")


class _Ids:
    """The id scheme of every kind of entity and identifier, keyed once per snapshot."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.creator = OpaqueIds("c_", rng)
        self.seller = OpaqueIds("sel_", rng)
        self.shop = OpaqueIds("s_", rng)
        self.buyer = OpaqueIds("b_", rng)
        self.agency = OpaqueIds("ag_", rng)
        self.order = OpaqueIds("o_", rng)
        self.commission = OpaqueIds("cm_", rng)
        self.identifier = [OpaqueIds(prefix, rng) for prefix in _IDENTIFIER_PREFIXES]


def build_tables(market: Market, ledger: Ledger, *, rng: np.random.Generator
                 ) -> tuple[dict[str, pa.Table], pa.Table, pa.Table]:
    """The snapshot's tables by name, in the contract's columns, the labels and the look-alikes."""
    ids = _Ids(rng)
    tables = {
        "creators": _creators(market, ids, rng),
        "shops": _shops(market, ids, rng),
        "identity_links": _identity_links(market, ledger, ids, rng),
        "orders": _orders(ledger, ids, rng),
        "commissions": _commissions(ledger, ids, rng),
        "affiliations": _affiliations(ledger, ids, rng),
        "violations": _violations(market, ids, rng),
        "allowlist": _allowlist(market, ids),
    }
    return tables, _labels(market, ids), _lookalikes(market, ids)


def chronological(times: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row order by time, ties in random order (a real export's order, which says nothing)."""
    tie_break = rng.integers(0, 1 << 24, len(times))
    return np.argsort((np.asarray(times, dtype=np.int64) << 24) | tie_break)


def coded_names(vocabulary: Sequence[str], codes: np.ndarray) -> pa.Array:
    """The names of integer ``codes`` in ``vocabulary``, as an Arrow string array."""
    return pa.array(list(vocabulary), type=pa.string()).take(pa.array(codes, type=pa.int64()))


def _creators(market: Market, ids: _Ids, rng: np.random.Generator) -> pa.Table:
    c = market.creators
    rows = chronological(c.registered_at, rng)
    agency = c.agency[rows]
    return pa.table({
        "creator_id": ids.creator.encode(rows),
        "registered_at": iso_utc(c.registered_at[rows]),
        "region": coded_names(REGIONS, c.region[rows]),
        "agency_id": ids.agency.encode(np.maximum(agency, 0), agency < 0),
    })


def _shops(market: Market, ids: _Ids, rng: np.random.Generator) -> pa.Table:
    s = market.shops
    rows = chronological(s.registered_at, rng)
    return pa.table({
        "shop_id": ids.shop.encode(rows),
        "seller_id": ids.seller.encode(s.seller[rows]),
        "registered_at": iso_utc(s.registered_at[rows]),
        "region": coded_names(REGIONS, s.region[rows]),
        "category": coded_names(CATEGORY_NAMES, s.category[rows]),
    })


def _identity_links(market: Market, ledger: Ledger, ids: _Ids,
                    rng: np.random.Generator) -> pa.Table:
    links = market.final_links(rng)
    first_seen = links["first_seen"]
    # A buyer's identifiers are seen no later than shortly before their first order.
    first_order = np.full(len(market.buyers.activity), SNAPSHOT_END, dtype=np.int64)
    np.minimum.at(first_order, ledger.orders["buyer"], ledger.orders["placed_at"])
    buyer = np.flatnonzero(links["account_type"] == BUYER)
    earliest = first_order[links["account"][buyer]] - rng.integers(0, 14 * DAY, len(buyer))
    first_seen[buyer] = np.minimum(first_seen[buyer], earliest)
    rows = chronological(first_seen, rng)
    kind = links["account_type"][rows]
    identifier_type = links["identifier_type"][rows]
    return pa.table({
        "account_type": coded_names(ACCOUNT_TYPES, kind),
        "account_id": encode_ids([ids.creator, ids.seller, ids.buyer], kind,
                                 links["account"][rows]),
        "identifier_type": coded_names(IDENTIFIER_TYPES, identifier_type),
        "identifier": encode_ids(ids.identifier, identifier_type, links["identifier"][rows]),
        "first_seen": iso_utc(first_seen[rows]),
        "last_seen": iso_utc(links["last_seen"][rows]),
        "events": pa.array(links["events"][rows], type=pa.int64()),
    })


def _orders(ledger: Ledger, ids: _Ids, rng: np.random.Generator) -> pa.Table:
    o = ledger.orders
    rows = chronological(o["placed_at"], rng)
    creator = o["creator"][rows]
    refunded_at = o["refunded_at"][rows]
    return pa.table({
        "order_id": ids.order.encode(rows),
        "buyer_id": ids.buyer.encode(o["buyer"][rows]),
        "shop_id": ids.shop.encode(o["shop"][rows]),
        "creator_id": ids.creator.encode(np.maximum(creator, 0), creator < 0),
        "amount": pa.array(o["amount"][rows], type=pa.float64()),
        "currency": pa.array(np.full(len(rows), CURRENCY, dtype=object), type=pa.string()),
        "placed_at": iso_utc(o["placed_at"][rows]),
        "status": coded_names(ORDER_STATUSES, o["status"][rows]),
        "refunded_at": iso_utc(refunded_at, refunded_at < 0),
    })


def _commissions(ledger: Ledger, ids: _Ids, rng: np.random.Generator) -> pa.Table:
    c = ledger.commissions
    rows = chronological(c["created_at"], rng)
    return pa.table({
        "commission_id": ids.commission.encode(rows),
        "order_id": ids.order.encode(c["order"][rows]),
        "creator_id": ids.creator.encode(c["creator"][rows]),
        "shop_id": ids.shop.encode(c["shop"][rows]),
        "amount": pa.array(c["amount"][rows], type=pa.float64()),
        "rate": pa.array(c["rate"][rows], type=pa.float64()),
        "created_at": iso_utc(c["created_at"][rows]),
        "status": coded_names(COMMISSION_STATUSES, c["status"][rows]),
    })


def _affiliations(ledger: Ledger, ids: _Ids, rng: np.random.Generator) -> pa.Table:
    a = ledger.affiliations
    rows = chronological(a["started_at"], rng)
    return pa.table({
        "creator_id": ids.creator.encode(a["creator"][rows]),
        "shop_id": ids.shop.encode(a["shop"][rows]),
        "commission_rate": pa.array(a["rate"][rows], type=pa.float64()),
        "started_at": iso_utc(a["started_at"][rows]),
    })


def _violations(market: Market, ids: _Ids, rng: np.random.Generator) -> pa.Table:
    v = market.violations.concat()
    rows = chronological(v["occurred_at"], rng)
    return pa.table({
        "creator_id": ids.creator.encode(v["creator"][rows]),
        "policy": coded_names(POLICIES, v["policy"][rows]),
        "severity": coded_names(SEVERITIES, v["severity"][rows]),
        "occurred_at": iso_utc(v["occurred_at"][rows]),
    })


def _allowlist(market: Market, ids: _Ids) -> pa.Table:
    entries = market.allowlist
    return pa.table({
        "identifier_type": pa.array([IDENTIFIER_TYPES[e.identifier_type] for e in entries],
                                    type=pa.string()),
        "identifier": encode_ids(ids.identifier, [e.identifier_type for e in entries],
                                 [e.identifier for e in entries]),
        "owner": pa.array([e.owner for e in entries], type=pa.string()),
        "reason": pa.array([e.reason for e in entries], type=pa.string()),
        "expires_at": pa.array([e.expires_at for e in entries], type=pa.string()),
    })


def _labels(market: Market, ids: _Ids) -> pa.Table:
    labels = market.labels.concat()
    table = pa.table({
        "ring_id": coded_names([r.spec.ring_id for r in market.rings], labels["ring"]),
        "account_type": coded_names(LABEL_ACCOUNT_TYPES, labels["account_type"]),
        "account_id": encode_ids([ids.creator, ids.seller, ids.buyer, ids.shop],
                                 labels["account_type"], labels["account"]),
        "typology": coded_names([r.spec.typology for r in market.rings], labels["ring"]),
    })
    return table.sort_by([("ring_id", "ascending"), ("account_type", "ascending"),
                          ("account_id", "ascending")])


LOOKALIKE_COLUMNS = ("group_id", "account_type", "account_id", "kind")


def _lookalikes(market: Market, ids: _Ids) -> pa.Table:
    """Honest members of every look-alike group (planted ring members left out), one row each."""
    rows = market.lookalikes.concat()
    labels = market.labels.concat()
    shift = np.int64(1) << 40
    member = rows["account_type"].astype(np.int64) * shift + rows["account"]
    honest = ~np.isin(member, labels["account_type"].astype(np.int64) * shift + labels["account"])
    group, member = rows["group"][honest].astype(np.int64), member[honest]
    unique = np.unique(group * (4 * shift) + member)
    group, member = unique // (4 * shift), unique % (4 * shift)
    account_type, account = member // shift, member % shift
    names = [f"G-{n + 1:05d}" for n in range(len(market.lookalike_kinds))]
    return lookalike_table(coded_names(names, group), coded_names(LABEL_ACCOUNT_TYPES, account_type),
                           encode_ids([ids.creator, ids.seller, ids.buyer, ids.shop],
                                      account_type, account),
                           coded_names(market.lookalike_kinds, group))


def lookalike_table(group_id: pa.Array, account_type: pa.Array, account_id: pa.Array,
                    kind: pa.Array) -> pa.Table:
    """``lookalikes.csv`` as a table, sorted by group and member (the sybil profile builds one too)."""
    table = pa.table(dict(zip(LOOKALIKE_COLUMNS, (group_id, account_type, account_id, kind),
                              strict=True)))
    return table.sort_by([("group_id", "ascending"), ("account_type", "ascending"),
                          ("account_id", "ascending")])
