"""A ring's subgraph, ready to draw or export: its members and the edges that tie them.

A reviewer's first question about a ring is "what does it look like?". The
answer must come from the same projections the detectors read (so the picture
shows what the detector saw, from either store), and it must be small enough to
draw: only the ring's members are nodes, and only edges with both ends among
them are kept. The API serves a :class:`Subgraph` as JSON, GraphML and GEXF
(through networkx writers); the HTML report draws it as SVG.

Edges, all taken vectorised from the projections of
:data:`ringwatch.graph.projections.PROJECTIONS`:

============  =====================  ===================  ==========================
relationship  from -> to             projection           weight
============  =====================  ===================  ==========================
``USES``      account -> identifier  ``identity_links``   login events
``TRADES``    creator -> shop        ``creator_shop_trade``  attributed orders
``BOUGHT``    buyer -> creator/shop  ``buyer_orders``     orders
``OWNS``      seller -> shop         ``shops``            1
============  =====================  ===================  ==========================

``TRADES`` is the attributed-order aggregate behind a creator's ``PROMOTES``
relationship: it carries the orders and commission the detectors judged.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Required, TypedDict, cast

import numpy as np
import pandas as pd

from ringwatch.domain import MemberDocument, account_types, identifiers_by_strength

if TYPE_CHECKING:  # imported where it is used: the report of every run needs no networkx (0.2 s)
    import networkx as nx


def type_priority() -> tuple[str, ...]:
    """Order in which member types survive the ``max_nodes`` cap and are listed.

    Accounts first (in the type table's order), then identifiers from the
    strongest evidence of one operator to the weakest (by their evidence weight).
    """
    return (*(t.name for t in account_types()), *(t.name for t in identifiers_by_strength()))

#: The projections :func:`ring_subgraph` reads (of :data:`ringwatch.graph.projections.PROJECTIONS`).
SUBGRAPH_PROJECTIONS: tuple[str, ...] = ("identity_links", "creator_shop_trade", "buyer_orders", "shops")

#: Relationship types in the order edges are listed.
RELATIONSHIPS: tuple[str, ...] = ("USES", "TRADES", "BOUGHT", "OWNS")


class SubgraphNode(TypedDict):
    """A member as a node: ``id`` is ``type:id`` (ids may repeat across types), ``label`` the id."""

    id: str
    type: str
    label: str
    flagged: bool


class SubgraphEdge(TypedDict, total=False):
    """An edge among members; the relationship's numbers are there when it has them.

    ``events`` on USES, ``orders`` and ``gmv`` on TRADES and BOUGHT,
    ``commission_total`` on TRADES.
    """

    source: Required[str]
    target: Required[str]
    type: Required[str]
    weight: Required[float]
    label: Required[str]
    events: int
    orders: int
    gmv: float
    commission_total: float


class SubgraphDocument(TypedDict):
    """A subgraph as JSON (``GET /rings/{id}/subgraph``)."""

    nodes: list[SubgraphNode]
    edges: list[SubgraphEdge]
    truncated: bool


@dataclass(frozen=True)
class Subgraph:
    """A ring's members as nodes and the edges among them.

    ``nodes`` are ``{"id": "type:id", "type", "label", "flagged"}`` (the id is
    prefixed with the type because ids are opaque and may repeat across
    types); ``edges`` are ``{"source", "target", "type", "weight", "label"}``
    plus the relationship's numbers (``events``, ``orders``, ``gmv``,
    ``commission_total``). ``truncated`` says the ring had more members than
    ``max_nodes`` and some were left out.
    """

    nodes: list[SubgraphNode]
    edges: list[SubgraphEdge]
    truncated: bool = False

    def to_dict(self) -> SubgraphDocument:
        """The subgraph as a JSON-able dict (``nodes``, ``edges``, ``truncated``), copies of its own."""
        return {"nodes": [SubgraphNode(**n) for n in self.nodes],
                "edges": [SubgraphEdge(**e) for e in self.edges], "truncated": self.truncated}

    def to_networkx(self) -> nx.MultiDiGraph:
        """The subgraph as a networkx ``MultiDiGraph`` that GraphML and GEXF writers accept.

        Every attribute value is a ``str``, ``int`` or ``float`` (``flagged`` is
        0/1). The edge type is stored as ``relationship`` and used as the edge
        key, because GEXF reserves an edge's ``type`` for its direction.
        """
        import networkx as nx

        graph = nx.MultiDiGraph(truncated=int(self.truncated))
        for node in self.nodes:
            graph.add_node(node["id"], type=node["type"], label=node["label"],
                           flagged=int(bool(node.get("flagged", True))))
        for edge in self.edges:
            attrs = {k: v for k, v in edge.items() if k not in ("source", "target", "type")}
            graph.add_edge(edge["source"], edge["target"], key=edge["type"],
                           relationship=edge["type"], **attrs)
        return graph


def ring_subgraph(members: Sequence[MemberDocument], projections: Mapping[str, pd.DataFrame], *,
                  max_nodes: int = 150) -> Subgraph:
    """Build the subgraph of one ring from its members and the store's projections.

    Parameters
    ----------
    members
        The ring's ``members`` (``[{"type": ..., "id": ...}]``, docs/contract.md section 2).
    projections
        Projection name -> DataFrame (``identity_links``, ``creator_shop_trade``,
        ``buyer_orders``, ``shops``); a missing projection contributes no edges.
    max_nodes
        At most this many nodes are kept: accounts before identifiers (see
        :func:`type_priority`), the best connected first within a type.

    Returns
    -------
    Subgraph
        Nodes and edges in a deterministic order; ``truncated`` when members were dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> shops = pd.DataFrame({"shop_id": ["s1"], "seller_id": ["x1"]})
    >>> sub = ring_subgraph([{"type": "seller", "id": "x1"}, {"type": "shop", "id": "s1"}],
    ...                     {"shops": shops})
    >>> [(e["source"], e["type"], e["target"]) for e in sub.edges]
    [('seller:x1', 'OWNS', 'shop:s1')]
    """
    return ring_subgraphs([members], projections, max_nodes=max_nodes)[0]


def ring_subgraphs(rings: Sequence[Sequence[MemberDocument]], projections: Mapping[str, pd.DataFrame],
                   *, max_nodes: int = 150) -> list[Subgraph]:
    """The subgraphs of several rings (their members, one list a ring), in the rings' order:
    each exactly :func:`ring_subgraph` of that ring alone.

    Why: the report draws twenty rings, and a ring's edges built on their own took a dozen
    pandas steps (33 ms a ring at two million rows); here each relationship is found for
    every ring in one pass, by joining its rows' two ends with the (ring, member) pairs, and
    only the drawing order is worked out ring by ring. Rings may share members: an edge
    belongs to every ring that holds both its ends.
    """
    members = _RingMembers.of(rings)
    keys: list[set[str]] = [set() for _ in rings]
    for ring, key in zip(members.pairs["ring"].tolist(), members.pairs["key"].tolist(), strict=True):
        keys[ring].add(key)
    frames = [
        _uses_edges(projections.get("identity_links"), members),
        _trades_edges(projections.get("creator_shop_trade"), members),
        *_bought_edges(projections.get("buyer_orders"), members),
        _owns_edges(projections.get("shops"), members),
    ]
    edges: list[list[SubgraphEdge]] = [[] for _ in rings]
    for frame in frames:  # rows read column by column: ``to_dict("records")`` boxes each value
        names = [str(column) for column in frame.columns]
        for values in zip(*(frame[column].tolist() for column in frame.columns), strict=True):
            row = dict(zip(names, values, strict=True))
            ring = int(row.pop("ring"))
            edges[ring].append(_plain(row))
    return [_drawn(ring_keys, ring_edges, max_nodes)
            for ring_keys, ring_edges in zip(keys, edges, strict=True)]


def _drawn(keys: set[str], edges: list[SubgraphEdge], max_nodes: int) -> Subgraph:
    """One ring's subgraph from its member keys and every edge among them, in drawing order."""
    kept = _kept_nodes(keys, edges, max_nodes)
    inside = set(kept)
    order = {t: i for i, t in enumerate(RELATIONSHIPS)}
    edges = sorted((e for e in edges if e["source"] in inside and e["target"] in inside),
                   key=lambda e: (order[e["type"]], e["source"], e["target"]))
    nodes: list[SubgraphNode] = [
        {"id": key, "type": key.split(":", 1)[0], "label": key.split(":", 1)[1], "flagged": True}
        for key in kept]
    return Subgraph(nodes=nodes, edges=edges, truncated=len(kept) < len(keys))


@dataclass(frozen=True)
class _RingMembers:
    """The rings' members, indexed once for every relationship's lookup.

    ``pairs``: one row per (ring, member), its ``ring`` position, ``type``, ``id`` and
    ``type:id`` ``key``; ``ids``: every member id by type; ``names``: the distinct keys, whose
    positions are the keys' codes; ``rings_of[first[k]:first[k] + count[k]]``: the rings that
    hold key ``k``; ``pair_codes``: each (key, ring) pair as one integer, ``span`` the rings.
    """

    pairs: pd.DataFrame
    ids: dict[str, set[str]]
    names: pd.Index
    rings_of: np.ndarray
    first: np.ndarray
    count: np.ndarray
    span: int
    pair_codes: np.ndarray

    @classmethod
    def of(cls, rings: Sequence[Sequence[MemberDocument]]) -> _RingMembers:
        rows = {(ring, str(m["type"]), str(m["id"])) for ring, members in enumerate(rings)
                for m in members}
        pairs = pd.DataFrame(sorted(rows), columns=["ring", "type", "id"])
        pairs["ring"] = pairs["ring"].astype(np.int64)
        pairs["key"] = pairs["type"] + ":" + pairs["id"]
        names = pd.Index(pairs["key"].unique())
        member = names.get_indexer(pairs["key"]).astype(np.int64)
        ring = pairs["ring"].to_numpy()
        count = np.bincount(member, minlength=len(names))
        span = len(ring) and int(ring.max()) + 1
        return cls(pairs, {str(t): set(group) for t, group in pairs.groupby("type")["id"]}, names,
                   ring[np.argsort(member, kind="stable")], np.cumsum(count) - count, count, span,
                   member * span + ring)

    def within(self, source: pd.Series, target: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Every (row, ring) whose ``source`` and ``target`` keys are both members of the ring:
        the rows' positions and the rings, by ring and then row. Each row is repeated once per
        ring its source is in, and kept where its target is in that ring too."""
        src, dst = self.names.get_indexer(source), self.names.get_indexer(target)
        rows = np.flatnonzero((src >= 0) & (dst >= 0))
        times = self.count[src[rows]]
        row = np.repeat(rows, times)
        within = np.arange(len(row)) - np.repeat(np.cumsum(times) - times, times)
        ring = self.rings_of[self.first[src[row]] + within]
        keep = np.isin(dst[row].astype(np.int64) * self.span + ring, self.pair_codes)
        row, ring = row[keep], ring[keep]
        order = np.lexsort((row, ring))
        return row[order], ring[order]


def _kept_nodes(keys: set[str], edges: list[SubgraphEdge], max_nodes: int) -> list[str]:
    """Member keys in drawing order, cut to ``max_nodes``: by type priority, degree, then id."""
    degree: dict[str, int] = {}
    for edge in edges:
        for end in (edge["source"], edge["target"]):
            degree[end] = degree.get(end, 0) + 1
    rank = {t: i for i, t in enumerate(type_priority())}

    def sort_key(key: str) -> tuple[int, int, str]:
        return rank.get(key.split(":", 1)[0], len(rank)), -degree.get(key, 0), key

    return sorted(keys, key=sort_key)[:max(max_nodes, 0)]


def _plain(row: Mapping[Hashable, Any]) -> SubgraphEdge:
    """One edge row with plain Python values (numpy scalars would trip JSON and the writers)."""
    out = {str(key): value.item() if hasattr(value, "item") else value for key, value in row.items()}
    out["weight"] = float(out["weight"])
    return cast(SubgraphEdge, out)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["ring", "source", "target", "type", "weight", "label"])


def _uses_edges(links: pd.DataFrame | None, members: _RingMembers) -> pd.DataFrame:
    """``USES``: account -> identifier links with both ends in a ring, weighted by events."""
    if links is None or links.empty:
        return _empty()
    everything = set().union(*members.ids.values())
    rows = links[links["account_id"].isin(everything) & links["identifier"].isin(everything)]
    source = rows["account_type"] + ":" + rows["account_id"]
    target = rows["identifier_type"] + ":" + rows["identifier"]
    at, ring = members.within(source, target)
    events = rows["events"].astype("int64").to_numpy()[at]
    return pd.DataFrame({
        "ring": ring, "source": source.to_numpy()[at], "target": target.to_numpy()[at],
        "type": "USES", "weight": events.astype(float),
        "label": [f"{n} event" if n == 1 else f"{n} events" for n in events.tolist()],
        "events": events,
    })


def _trades_edges(trade: pd.DataFrame | None, members: _RingMembers) -> pd.DataFrame:
    """``TRADES``: creator -> shop attributed orders with both ends in a ring."""
    if trade is None or trade.empty:
        return _empty()
    rows = trade[trade["creator_id"].isin(members.ids.get("creator", set()))
                 & trade["shop_id"].isin(members.ids.get("shop", set()))]
    source, target = "creator:" + rows["creator_id"], "shop:" + rows["shop_id"]
    at, ring = members.within(source, target)
    orders = rows["orders"].astype("int64").to_numpy()[at]
    commission = rows["commission_total"].astype(float).to_numpy()[at]
    return pd.DataFrame({
        "ring": ring, "source": source.to_numpy()[at], "target": target.to_numpy()[at],
        "type": "TRADES", "weight": orders.astype(float),
        "label": [f"{o} orders, {c:,.2f} commission" for o, c in zip(orders, commission, strict=True)],
        "orders": orders, "gmv": rows["gmv"].astype(float).to_numpy()[at],
        "commission_total": commission,
    })


def _bought_edges(orders: pd.DataFrame | None, members: _RingMembers) -> list[pd.DataFrame]:
    """``BOUGHT``: buyer -> creator (attributed) and buyer -> shop orders, both ends in a ring."""
    if orders is None or orders.empty:
        return [_empty()]
    rows = orders[orders["buyer_id"].isin(members.ids.get("buyer", set()))]
    out = []
    for column, node_type in (("creator_id", "creator"), ("shop_id", "shop")):
        part = rows[rows[column].isin(members.ids.get(node_type, set()))]
        at, ring = members.within("buyer:" + part["buyer_id"], f"{node_type}:" + part[column])
        # Summed in the rows' own order within each (ring, buyer, creator or shop).
        part = part.iloc[at].assign(ring=ring)
        grouped = part.groupby(["ring", "buyer_id", column], sort=True).agg(
            orders=("orders", "sum"), gmv=("gmv", "sum")).reset_index()
        count = grouped["orders"].astype("int64")
        out.append(pd.DataFrame({
            "ring": grouped["ring"].to_numpy(),
            "source": ("buyer:" + grouped["buyer_id"]).to_numpy(),
            "target": (f"{node_type}:" + grouped[column]).to_numpy(),
            "type": "BOUGHT", "weight": count.astype(float).to_numpy(),
            "label": [f"{n} order" if n == 1 else f"{n} orders" for n in count.tolist()],
            "orders": count.to_numpy(), "gmv": grouped["gmv"].astype(float).to_numpy(),
        }))
    return out


def _owns_edges(shops: pd.DataFrame | None, members: _RingMembers) -> pd.DataFrame:
    """``OWNS``: seller -> shop where both are in a ring."""
    if shops is None or shops.empty:
        return _empty()
    rows = shops[shops["seller_id"].isin(members.ids.get("seller", set()))
                 & shops["shop_id"].isin(members.ids.get("shop", set()))]
    source, target = "seller:" + rows["seller_id"], "shop:" + rows["shop_id"]
    at, ring = members.within(source, target)
    return pd.DataFrame({"ring": ring, "source": source.to_numpy()[at],
                         "target": target.to_numpy()[at],
                         "type": "OWNS", "weight": 1.0, "label": "owns"})
