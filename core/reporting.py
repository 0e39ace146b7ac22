"""The report's layout engine: which subgraphs to draw, and how to lay out a ring's picture.

A ring's picture must stay readable when the ring is dense (dozens of creators,
a pool of hundreds of buyers): a force layout of such a ring is a hairball.
So the picture is laid out by node type (:func:`ring_picture`): a collusion
ring in columns (sellers | shops | creators | buyers | identifiers), an
identity ring as two rings (the hub identifiers inside, the accounts around
them); a type with more than :data:`GROUP_ABOVE` members is folded into one
node ("40 buyers") and the edges it gathers are merged, with their count.
Labels are 12 px, never cut (long ids wrap onto more lines), and the layout
grows until no label overlaps another label or a node. The review page
(``api/static/ui/app.js``) draws with the same rules.

Nothing here writes HTML: :mod:`ringwatch.api.report` turns a :class:`Picture`
into inline SVG, and the command line and the HTTP API read a ring's
subgraph from the projections named in :data:`SUBGRAPH_PROJECTIONS`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ringwatch.domain import AccountType, RingDocument
from ringwatch.graph.capabilities import ProjectionSource
from ringwatch.graph.subgraph import (
    SUBGRAPH_PROJECTIONS,
    Subgraph,
    SubgraphNode,
    ring_subgraphs,
    type_priority,
)
from ringwatch.wording import type_noun

ACCOUNT_TYPES = frozenset(AccountType)


def subgraph_projections(store: ProjectionSource) -> dict[str, pd.DataFrame]:
    """The projections ring subgraphs are drawn from, read from ``store`` (a scan of the graph)."""
    return {name: store.projection(name) for name in SUBGRAPH_PROJECTIONS}


def subgraphs_for(rings: Sequence[RingDocument], projections: Mapping[str, pd.DataFrame],
                  top: int = 20, *, max_nodes: int = 150) -> dict[str, Subgraph]:
    """The subgraphs of the first ``top`` rings, by ring id: what the report draws.

    The projections are cut once to the rows that name any drawn ring's member
    (a superset of every ring's edges), and every ring's subgraph is built from
    those rows in one pass (:func:`~ringwatch.graph.subgraph.ring_subgraphs`).
    """
    drawn = rings[:max(top, 0)]
    named = {str(m["id"]) for ring in drawn for m in ring["members"]}
    near = {name: _rows_naming(frame, named) for name, frame in projections.items()}
    built = ring_subgraphs([ring["members"] for ring in drawn], near, max_nodes=max_nodes)
    return {ring["ring_id"]: subgraph for ring, subgraph in zip(drawn, built, strict=True)}


def _rows_naming(frame: pd.DataFrame, ids: set[str]) -> pd.DataFrame:
    """The rows of ``frame`` whose id columns (``*_id``, ``identifier``) hold any of ``ids``."""
    columns = [c for c in frame.columns if str(c).endswith("_id") or c == "identifier"]
    if frame.empty or not columns:
        return frame
    wanted = sorted(ids)
    value_set = pa.array(wanted, pa.large_string())
    mask = np.zeros(len(frame), dtype=bool)
    for column in columns:
        mask |= _holds(frame[column], wanted, value_set)
    return frame.loc[mask]


def _holds(values: pd.Series, wanted: list[str], value_set: pa.Array) -> np.ndarray:
    """``values.isin(wanted)`` as booleans. Arrow text is looked up by Arrow against
    ``value_set`` (``wanted`` as Arrow text) made once: pandas makes an Arrow scalar of each
    wanted id at every call, a third of the cost of the nine columns the report scans."""
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        return values.isin(wanted).to_numpy(dtype=bool)
    column = pa.Array.from_pandas(values)
    return np.asarray(pc.is_in(column, value_set=value_set.cast(column.type)), dtype=bool)


#: Size of label text in the pictures, in px: readable on a laptop without zooming in.
FONT_SIZE = 12
#: Size of the count written on a merged edge, in px.
EDGE_FONT_SIZE = 11
LINE_HEIGHT = 15
#: Estimated advance of one character of the monospace label font (about 0.6 em), in px.
CHAR_WIDTH = 0.62 * FONT_SIZE
EDGE_CHAR_WIDTH = 0.62 * EDGE_FONT_SIZE
#: Characters per label line: a longer id wraps onto more lines instead of being cut.
LABEL_CHARS = 22
#: A type with more members than this is not drawn member by member (see :func:`_fold`).
GROUP_ABOVE = 12
#: Types folded whole when crowded: a buyer pool matters as a pool, not buyer by buyer.
FOLD_WHOLE = frozenset({"buyer"})
#: Columns of the layered picture, left to right, identifiers after them. Every relationship
#: then joins neighbouring columns (a seller OWNS a shop, a creator TRADES with a shop, a
#: buyer BOUGHT through a creator, a buyer USES a device) but a buyer's order at a shop.
COLUMN_ORDER = ("seller", "shop", "creator", "buyer")
#: Room left around the drawing, and between a node and its label, in px.
PAD, LABEL_GAP = 14.0, 5.0
#: Smallest horizontal distance between two columns, in px.
COLUMN_GAP = 130.0
#: Numbers summed when edges are merged (see :data:`ringwatch.graph.subgraph.Subgraph`).
EDGE_NUMBERS = ("events", "orders", "gmv", "commission_total")
EDGE_UNITS = {"USES": "events", "TRADES": "orders", "BOUGHT": "orders"}

Box = tuple[float, float, float, float]


@dataclass
class DrawnNode:
    """A node as drawn: one member, or the members of one type folded into one node.

    ``place`` says where the label sits: ``start`` (right of the node), ``end``
    (left of it), ``below`` or ``above``.
    """

    key: str
    type: str
    lines: list[str]
    members: list[str]
    strength: float = 0.0
    folded: bool = False
    r: float = 8.0
    x: float = 0.0
    y: float = 0.0
    place: str = "below"
    column: int = -1


@dataclass
class DrawnEdge:
    """One drawn edge: the edges of the subgraph between two drawn nodes, of one type, merged."""

    source: str
    target: str
    type: str
    weight: float
    count: int
    numbers: dict[str, float]
    labels: list[str]
    text: str = ""
    text_at: tuple[float, float] | None = None


@dataclass(frozen=True)
class Picture:
    """A laid-out ring picture: nodes with positions, merged edges and the canvas size.

    ``layout`` is ``layered`` or ``concentric``; ``folded`` maps a member type
    to how many of its members were folded into one node.
    """

    nodes: list[DrawnNode]
    edges: list[DrawnEdge]
    width: float
    height: float
    layout: str
    folded: dict[str, int] = field(default_factory=dict)


def ring_picture(subgraph: Subgraph) -> Picture:
    """Fold, merge and lay out a ring's subgraph so that it stays readable however dense it is.

    The same subgraph always gives the same picture (no randomness). Rings
    whose edges are all ``USES`` (identity rings) are drawn concentric, every
    other ring in columns by type (see :data:`COLUMN_ORDER`).

    Examples
    --------
    >>> sub = Subgraph(nodes=[{"id": "creator:c1", "type": "creator", "label": "c1"},
    ...                       {"id": "device:d1", "type": "device", "label": "d1"}],
    ...                edges=[{"source": "creator:c1", "target": "device:d1", "type": "USES",
    ...                        "weight": 3.0, "label": "3 events"}])
    >>> ring_picture(sub).layout
    'concentric'
    """
    nodes, edges, folded = _fold(subgraph)
    degree: dict[str, int] = defaultdict(int)
    for e in edges:
        degree[e.source] += 1
        degree[e.target] += 1
    for node in nodes:
        node.r = 14.0 if node.folded else min(6.0 + 1.2 * math.sqrt(degree[node.key]), 12.0)
    types = {n.type for n in nodes}
    concentric = (bool(edges) and all(e.type == "USES" for e in edges)
                  and bool(types & ACCOUNT_TYPES) and bool(types - ACCOUNT_TYPES))
    if concentric:
        _concentric(nodes, edges)
    else:
        _layered(nodes, edges)
    width, height = _frame(nodes)
    _place_edge_texts(nodes, edges, width, height)
    return Picture(nodes, edges, width, height, "concentric" if concentric else "layered", folded)


def _type_rank(node_type: str) -> tuple[int, str]:
    order = type_priority()
    rank = order.index(node_type) if node_type in order else len(order)
    return rank, node_type


def wrap_label(text: str, width: int = LABEL_CHARS) -> list[str]:
    """A label as lines of at most ``width`` characters: the whole text, never cut."""
    text = str(text)
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


def _fold(subgraph: Subgraph) -> tuple[list[DrawnNode], list[DrawnEdge], dict[str, int]]:
    """Drawn nodes and merged edges: crowded types folded into one node each.

    A type with more than :data:`GROUP_ABOVE` members keeps its
    ``GROUP_ABOVE - 1`` best connected members (none for :data:`FOLD_WHOLE`
    types) and folds the rest into one node; the edges that then join the
    same two drawn nodes with the same type become one edge whose weight is
    their sum and whose ``count`` says how many they were.
    """
    ids = {str(n["id"]) for n in subgraph.nodes}
    edges = [e for e in subgraph.edges
             if e["source"] in ids and e["target"] in ids and e["source"] != e["target"]]
    strength: dict[str, float] = defaultdict(float)
    for e in edges:
        weight = max(float(e.get("weight", 1.0) or 0.0), 0.0)
        strength[e["source"]] += weight
        strength[e["target"]] += weight
    by_type: dict[str, list[SubgraphNode]] = {}
    for n in subgraph.nodes:
        by_type.setdefault(str(n.get("type", "")), []).append(n)
    drawn: list[DrawnNode] = []
    owner: dict[str, str] = {}
    folded: dict[str, int] = {}
    for node_type in sorted(by_type, key=_type_rank):
        group = sorted(by_type[node_type], key=lambda n: (-strength[n["id"]], str(n.get("label", ""))))
        keep = group
        if len(group) > GROUP_ABOVE:
            keep = [] if node_type in FOLD_WHOLE else group[:GROUP_ABOVE - 1]
        for n in keep:
            label = str(n.get("label", n["id"]))
            owner[n["id"]] = n["id"]
            drawn.append(DrawnNode(n["id"], node_type, wrap_label(label), [label], strength[n["id"]]))
        rest = group[len(keep):]
        if rest:
            key = f"group:{node_type}"
            text = f"{len(rest)} {'more ' if keep else ''}{type_noun(node_type, len(rest))}"
            drawn.append(DrawnNode(key, node_type, wrap_label(text),
                                   [str(n.get("label", n["id"])) for n in rest],
                                   sum(strength[n["id"]] for n in rest), folded=True))
            folded[node_type] = len(rest)
            for n in rest:
                owner[n["id"]] = key
    merged: dict[tuple[str, str, str], DrawnEdge] = {}
    for e in edges:
        key3 = (owner[e["source"]], owner[e["target"]], str(e["type"]))
        edge = merged.get(key3)
        if edge is None:
            edge = merged[key3] = DrawnEdge(*key3, weight=0.0, count=0, numbers={}, labels=[])
        edge.weight += max(float(e.get("weight", 1.0) or 0.0), 0.0)
        edge.count += 1
        edge.labels.append(str(e.get("label", "")))
        for name in EDGE_NUMBERS:
            value = e.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                edge.numbers[name] = edge.numbers.get(name, 0.0) + float(value)
    return drawn, list(merged.values()), folded


def _neighbours(edges: list[DrawnEdge]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        out[e.source].append(e.target)
        out[e.target].append(e.source)
    return out


def _column_of(node_type: str) -> int:
    return COLUMN_ORDER.index(node_type) if node_type in COLUMN_ORDER else len(COLUMN_ORDER)


def _label_size(node: DrawnNode) -> tuple[float, float]:
    return max(len(line) for line in node.lines) * CHAR_WIDTH, len(node.lines) * LINE_HEIGHT


def _layered(nodes: list[DrawnNode], edges: list[DrawnEdge]) -> None:
    """Columns by type, ordered to uncross edges; spaced until no label overlaps.

    Within a column, nodes are sorted a few times by the mean position of
    their neighbours in the other columns (the barycentre heuristic), which
    keeps a creator next to the shops and buyers it trades with. The first
    column's labels sit left of its nodes, the last one's right of them, the
    others' below them, so that labels stay out of the edges' way.
    """
    present = sorted({_column_of(n.type) for n in nodes})
    columns = [sorted((n for n in nodes if _column_of(n.type) == c),
                      key=lambda n: (_type_rank(n.type), -n.strength, n.lines))
               for c in present]
    for index, column in enumerate(columns):
        for node in column:
            node.column = index
    _uncross(columns, _neighbours(edges))
    last = len(columns) - 1
    for col in columns:
        for node in col:
            node.place = ("start" if last == 0 or node.column == last
                          else "end" if node.column == 0 else "below")
    scale = 1.0
    for _ in range(12):
        x = 0.0
        for c, col in enumerate(columns):
            if c > 0:
                x += max(COLUMN_GAP * scale,
                         max(_extent(n, "right") for n in columns[c - 1])
                         + max(_extent(n, "left") for n in col) + 28.0)
            pitch = max(_row(n) for n in col) * scale
            for i, node in enumerate(col):
                node.x, node.y = x, (i - (len(col) - 1) / 2) * pitch
        if not _overlaps(nodes):
            return
        scale *= 1.2


def _uncross(columns: list[list[DrawnNode]], nbrs: Mapping[str, list[str]], *, sweeps: int = 8) -> None:
    """Reorder each column by the mean row of its nodes' neighbours in other columns, in place.

    Sweeps alternate left to right and back; rows are centred, so columns of
    different lengths compare by offset from the middle. Ties keep the
    current order, so the result is deterministic.
    """
    column_of = {n.key: c for c, col in enumerate(columns) for n in col}
    row = {n.key: i - (len(col) - 1) / 2 for col in columns for i, n in enumerate(col)}
    for sweep in range(sweeps):
        order = range(len(columns)) if sweep % 2 == 0 else range(len(columns) - 1, -1, -1)
        for c in order:
            mean = {}
            for node in columns[c]:
                others = [row[k] for k in nbrs.get(node.key, ()) if column_of.get(k, c) != c]
                mean[node.key] = sum(others) / len(others) if others else row[node.key]
            columns[c].sort(key=lambda n, mean=mean: (mean[n.key], row[n.key]))
            row.update({n.key: i - (len(columns[c]) - 1) / 2 for i, n in enumerate(columns[c])})


def _extent(node: DrawnNode, side: str) -> float:
    """How far a node and its label reach to one side of the node's centre, in px."""
    width, _ = _label_size(node)
    if node.place == "below" or node.place == "above":
        return max(node.r, width / 2)
    if (node.place == "start") == (side == "right"):
        return node.r + LABEL_GAP + width
    return node.r


def _row(node: DrawnNode) -> float:
    """The height a node needs in its column: itself, its label when under it, a gap."""
    _, height = _label_size(node)
    if node.place in ("below", "above"):
        return 2 * node.r + 2 + height + 10
    return max(2 * node.r, height) + 10


def _outward(angle: float) -> str:
    """Where a label goes for a node at ``angle`` on a circle: away from the centre."""
    if abs(math.cos(angle)) < 0.3:
        return "above" if math.sin(angle) < 0 else "below"
    return "start" if math.cos(angle) > 0 else "end"


def _concentric(nodes: list[DrawnNode], edges: list[DrawnEdge]) -> None:
    """Two rings: the smaller of accounts and identifiers inside, the other around it.

    An identity ring is a few identifiers each shared by many accounts: with
    the hubs inside (one hub sits at the centre) every edge runs outward like
    a spoke and the accounts, on the larger outer circle, have room for their
    labels. Outer nodes are ordered by the angle of their inner neighbours.
    The circles grow until no label overlaps another label or a node.
    """
    accounts = [n for n in nodes if n.type in ACCOUNT_TYPES]
    idents = [n for n in nodes if n.type not in ACCOUNT_TYPES]
    inner, outer = (idents, accounts) if len(idents) <= len(accounts) else (accounts, idents)
    inner.sort(key=lambda n: (_type_rank(n.type), n.lines))
    m, n = len(inner), len(outer)
    step = 2 * math.pi / max(m, 1)
    angle = {node.key: -math.pi / 2 + i * step for i, node in enumerate(inner)}
    nbrs = _neighbours(edges)

    def mean_angle(node: DrawnNode) -> float:
        around = [angle[k] for k in nbrs.get(node.key, ()) if k in angle]
        if not around or m == 1:
            return 0.0
        a = math.atan2(sum(math.sin(t) for t in around), sum(math.cos(t) for t in around))
        return (a + math.pi / 2) % (2 * math.pi)

    outer.sort(key=lambda node: (round(mean_angle(node), 6), _type_rank(node.type), -node.strength,
                                 node.lines))
    inner_width = max((_label_size(node)[0] for node in inner), default=0.0)
    r_in = 0.0 if m == 1 else max(60.0, m * 40 / (2 * math.pi))
    r_out = max(140.0, n * 36 / (2 * math.pi), r_in + (inner_width + 50 if m > 1 else 90))
    for _ in range(16):
        for i, node in enumerate(inner):
            a = -math.pi / 2 + i * step
            node.x, node.y = r_in * math.cos(a), r_in * math.sin(a)
            node.place = "below" if m == 1 else _outward(a)
        for i, node in enumerate(outer):
            a = -math.pi / 2 + i * 2 * math.pi / max(n, 1)
            node.x, node.y = r_out * math.cos(a), r_out * math.sin(a)
            node.place = _outward(a)
        if not _overlaps(nodes):
            return
        r_out *= 1.15
        r_in *= 1.08


def label_box(node: DrawnNode) -> Box:
    """The box ``(x0, y0, x1, y1)`` a node's label takes, from the estimated text size."""
    width, height = _label_size(node)
    if node.place == "start":
        x0, y0 = node.x + node.r + LABEL_GAP, node.y - height / 2
    elif node.place == "end":
        x0, y0 = node.x - node.r - LABEL_GAP - width, node.y - height / 2
    elif node.place == "above":
        x0, y0 = node.x - width / 2, node.y - node.r - 2 - height
    else:
        x0, y0 = node.x - width / 2, node.y + node.r + 2
    return x0, y0, x0 + width, y0 + height


def _node_box(node: DrawnNode) -> Box:
    return node.x - node.r, node.y - node.r, node.x + node.r, node.y + node.r


def _hit(a: Box, b: Box, slack: float = 1.0) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > slack) and (min(a[3], b[3]) - max(a[1], b[1]) > slack)


def _overlaps(nodes: list[DrawnNode]) -> bool:
    """Whether any label overlaps another label, or a node other than its own."""
    labels = [label_box(n) for n in nodes]
    shapes = [_node_box(n) for n in nodes]
    for i, box in enumerate(labels):
        for j in range(len(nodes)):
            if j != i and (_hit(box, shapes[j]) or (j > i and _hit(box, labels[j]))):
                return True
    return False


def _frame(nodes: list[DrawnNode]) -> tuple[float, float]:
    """Move the drawing into a canvas with :data:`PAD` around nodes and labels; its size."""
    boxes = [b for n in nodes for b in (label_box(n), _node_box(n))]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    width, height = max(x1 - x0 + 2 * PAD, 240.0), max(y1 - y0 + 2 * PAD, 140.0)
    dx = (width - (x1 - x0)) / 2 - x0
    dy = (height - (y1 - y0)) / 2 - y0
    for node in nodes:
        node.x, node.y = node.x + dx, node.y + dy
    return math.ceil(width), math.ceil(height)


def curve(a: DrawnNode, b: DrawnNode) -> tuple[float, float] | None:
    """The control point of an edge that skips a column (so it does not run through nodes)."""
    if a.column < 0 or b.column < 0 or abs(a.column - b.column) == 1:
        return None
    mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
    dx, dy = b.x - a.x, b.y - a.y
    length = math.hypot(dx, dy) or 1.0
    bow = 0.18 * length
    return mx + dy / length * bow, my - dx / length * bow


def _point_on(a: DrawnNode, b: DrawnNode, t: float) -> tuple[float, float]:
    control = curve(a, b)
    if control is None:
        return a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t
    cx, cy = control
    return ((1 - t) ** 2 * a.x + 2 * (1 - t) * t * cx + t * t * b.x,
            (1 - t) ** 2 * a.y + 2 * (1 - t) * t * cy + t * t * b.y)


def _edge_text(edge: DrawnEdge, by_key: Mapping[str, DrawnNode]) -> str:
    """What a merged edge says: how many members of the folded end it joins, or how many edges it is.

    An edge between a folded node and a single one joins that many of the
    folded members ("12 buyers"); between two folded nodes it counts pairs,
    which are not members ("107 links").
    """
    a, b = by_key[edge.source], by_key[edge.target]
    if a.folded and b.folded:
        return f"{edge.count} links"
    for end in (a, b):
        if end.folded:
            return f"{edge.count} {type_noun(end.type, edge.count)}"
    return f"×{edge.count}"


def _place_edge_texts(nodes: list[DrawnNode], edges: list[DrawnEdge], width: float,
                      height: float) -> None:
    """Write the count on merged edges where it fits without covering a label or a node.

    A count that finds no free spot along its edge is left to the edge's
    tooltip: a readable picture matters more than one more number.
    """
    by_key = {n.key: n for n in nodes}
    taken = [b for n in nodes for b in (label_box(n), _node_box(n))]
    for edge in sorted(edges, key=lambda e: (-e.count, -e.weight, e.source, e.target)):
        if edge.count < 2:
            continue
        edge.text = _edge_text(edge, by_key)
        w, h = len(edge.text) * EDGE_CHAR_WIDTH + 4, EDGE_FONT_SIZE + 3
        # Near the end that is not folded: there the edges of one folded node have fanned out.
        spots = (0.5, 0.4, 0.6, 0.3, 0.7)
        if by_key[edge.source].folded != by_key[edge.target].folded:
            spots = (0.78, 0.7, 0.86, 0.62, 0.54)
            spots = spots if by_key[edge.source].folded else tuple(1 - t for t in spots)
        for t in spots:
            x, y = _point_on(by_key[edge.source], by_key[edge.target], t)
            box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            if inside and not any(_hit(box, other) for other in taken):
                edge.text_at = (x, y)
                taken.append(box)
                break


def edge_width(weight: float, weights: Sequence[float]) -> float:
    """Stroke width of an edge among edges of its type: 1 to 4.5 px by the square root of weight.

    Widths are there to tell weights apart; when every edge of a type weighs
    the same (an OWNS edge, a farm's logins) they all get a quiet 2 px.
    """
    heaviest, lightest = max(weights, default=0.0), min(weights, default=0.0)
    if heaviest <= 0 or heaviest == lightest:
        return 2.0
    return 1.0 + 3.5 * math.sqrt(max(weight, 0.0) / heaviest)
