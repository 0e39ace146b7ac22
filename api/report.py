"""The human-readable report of a detection run: one self-contained HTML file.

Risk analysts open it from a laptop, a ticket or an e-mail attachment, often
offline, so it carries everything inline: CSS in the head, each ring's picture
as inline SVG, no script and no external resource. Ids and evidence come from
marketplace input and are untrusted: every piece of text goes through
:func:`html.escape` before it reaches the page.

A ring's picture must stay readable when the ring is dense (dozens of creators,
a pool of hundreds of buyers): a force layout of such a ring is a hairball.
So the picture is laid out by node type (:func:`ring_picture`): a collusion
ring in columns (sellers | shops | creators | buyers | identifiers), an
identity ring as two rings (the hub identifiers inside, the accounts around
them); a type with more than :data:`GROUP_ABOVE` members is folded into one
node ("40 buyers") and the edges it gathers are merged, with their count.
Labels are 12 px, never cut (long ids wrap onto more lines), and the layout
grows until no label overlaps another label or a node. The review page
(``static/ui/app.js``) draws with the same rules.

The report only presents what the run already decided (rings, scores, evidence
from :mod:`ringwatch.detectors`, subgraphs from :mod:`ringwatch.graph.subgraph`);
it computes nothing a batch job would need.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ringwatch.domain import AccountType
from ringwatch.graph.subgraph import TYPE_PRIORITY, Subgraph, ring_subgraph

#: Fill colour per member type (accounts drawn as circles, identifiers as squares).
TYPE_COLOURS: dict[str, str] = {
    "creator": "#d1495b",
    "shop": "#2e86ab",
    "seller": "#1b3a5c",
    "buyer": "#66a182",
    "device": "#8d6a9f",
    "ip": "#9a9a9a",
    "payout_account": "#edae49",
    "phone": "#f28482",
    "email": "#00a6a6",
}
ACCOUNT_TYPES = frozenset(AccountType)
OTHER_COLOUR = "#555555"

#: Stroke colour and dash pattern per relationship.
EDGE_STYLES: dict[str, tuple[str, str]] = {
    "USES": ("#8d8d8d", "6 4"),
    "TRADES": ("#d1495b", ""),
    "BOUGHT": ("#66a182", ""),
    "OWNS": ("#1b3a5c", ""),
}

KIND_NAMES = {"identity_ring": "identity rings", "collusion_ring": "collusion rings",
              "commission_abuse": "commission abuse"}

#: Metrics that are sums of money: shown with the ring's ``currency`` metric (see :func:`money`).
MONEY_METRICS = frozenset({"commission_total", "gmv", "amount", "commission_held", "refunded_amount"})
MONEY_SUFFIXES = ("_gmv", "_amount", "_commission_total")

#: What a score means, for a reader who has never seen one (the page says the same).
SCORE_MEANING = (
    "The score estimates the probability that the ring is mostly fraudulent, given its evidence: "
    "among rings scored about 0.8, about eight in ten are mostly fraudulent. Independent "
    "corroboration raises it (say, a shared payout account and refunds after the commission was "
    "paid); a single tie, such as one shared device, does not. It is checked against labelled "
    "rings by the calibration table of <code>ringwatch eval</code>.")
SCORE_TOOLTIP = ("Estimated probability that the ring is mostly fraudulent; of rings scored about "
                 "0.8, about eight in ten are.")


def write_report(out_dir: Path, *, run: dict[str, Any], rings: list[dict[str, Any]],
                 subgraphs: Mapping[str, Subgraph], summary: dict[str, Any] | None = None,
                 top: int = 20) -> Path:
    """Write ``out_dir/report.html`` for one run and return its path.

    ``rings`` are the run's rings best first (only the first ``top`` are shown
    in detail), ``subgraphs`` maps a ring id to its picture (see
    :func:`subgraphs_for`; a ring without one is shown without a picture), and
    ``summary`` is a ``LoadSummary.as_dict()`` when the run followed a load.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shown = rings[:max(top, 0)]
    body = "\n".join([
        _summary_html(run, summary),
        _score_help_html(),
        f"<h2>Top {len(shown)} of {len(rings)} rings</h2>",
        _legend_html(),
        *(_ring_html(ring, subgraphs.get(ring["ring_id"])) for ring in shown),
    ])
    path = out_dir / "report.html"
    path.write_text(_page(f"Ringwatch report {run.get('run_id', '')}", body), encoding="utf-8")
    return path


def subgraphs_for(rings: Sequence[dict[str, Any]], projections: Mapping[str, pd.DataFrame],
                  top: int = 20, *, max_nodes: int = 150) -> dict[str, Subgraph]:
    """The subgraphs of the first ``top`` rings, by ring id: what :func:`write_report` draws."""
    return {ring["ring_id"]: ring_subgraph(ring["members"], projections, max_nodes=max_nodes)
            for ring in rings[:max(top, 0)]}


# --- page and summary ---------------------------------------------------------------------------

def _e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<h1>Ringwatch report</h1>\n{body}\n</body>\n</html>\n")


def _summary_html(run: dict[str, Any], summary: dict[str, Any] | None) -> str:
    """Run facts, ring counts, allowlist use and (if given) the load reconciliation."""
    facts = [("run", run.get("run_id", "")), ("backend", run.get("backend", "")),
             ("started", run.get("started_at", ""))]
    if run.get("as_of_ms") is not None:
        as_of = datetime.fromtimestamp(int(run["as_of_ms"]) / 1000, tz=UTC)
        facts.append(("data as of", as_of.strftime("%Y-%m-%dT%H:%M:%SZ")))
    if run.get("duration_seconds") is not None:
        facts.append(("took", f"{run['duration_seconds']} s"))
    stats = [("rings", run.get("rings", 0))]
    stats += [(KIND_NAMES.get(kind, kind), n) for kind, n in run.get("rings_by_kind", {}).items()]
    stats += [(name, run.get(name, 0)) for name in ("new", "persisting", "dissolved")]
    parts = [
        '<section class="summary"><h2>Run</h2><dl class="facts">',
        *(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts),
        '</dl><div class="stats">',
        *(f'<div class="stat"><span class="value">{_e(v)}</span>'
          f'<span class="name">{_e(k)}</span></div>' for k, v in stats),
        "</div>",
        _allowlist_html(run.get("allowlist", [])),
        _load_html(summary) if summary else "",
        "</section>",
    ]
    return "\n".join(parts)


def _allowlist_html(entries: list[dict[str, Any]]) -> str:
    """Allowlist entries: which were applied (and to how many accounts), which had expired."""
    if not entries:
        return "<h3>Allowlist</h3><p>No allowlist entries.</p>"
    used = sum(1 for a in entries if not a.get("expired") and a.get("accounts", 0) > 0)
    expired = sum(1 for a in entries if a.get("expired"))
    rows = []
    for a in entries:
        if a.get("expired"):
            state = '<span class="badge warn">expired, not applied</span>'
        elif a.get("accounts", 0) > 0:
            state = '<span class="badge ok">used</span>'
        else:
            state = '<span class="badge">in force, unused</span>'
        rows.append(f"<tr><td>{_e(a.get('identifier_type', ''))}</td><td><code>"
                    f"{_e(a.get('identifier', ''))}</code></td><td>{_e(a.get('owner', ''))}</td>"
                    f"<td>{_e(a.get('reason', ''))}</td><td class=\"num\">{_e(a.get('accounts', 0))}</td>"
                    f"<td>{state}</td></tr>")
    return (f'<h3>Allowlist</h3><p><span class="allow-used">{used}</span> of {len(entries)} entries used, '
            f'<span class="allow-expired">{expired}</span> expired.</p>'
            "<table><thead><tr><th>type</th><th>identifier</th><th>owner</th><th>reason</th>"
            f"<th>accounts</th><th>state</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _load_html(summary: dict[str, Any]) -> str:
    """The load summary: rows read = loaded + quarantined per table, with reasons."""
    rows = []
    for t in summary.get("tables", []):
        reasons = ", ".join(f"{_e(k)}: {_e(v)}" for k, v in sorted(t.get("reasons", {}).items()))
        rows.append(f"<tr><td>{_e(t.get('table', ''))}</td><td><code>{_e(t.get('file') or '—')}</code></td>"
                    f"<td class=\"num\">{_e(t.get('read', 0))}</td><td class=\"num\">{_e(t.get('loaded', 0))}"
                    f"</td><td class=\"num\">{_e(t.get('quarantined', 0))}</td><td>{reasons}</td></tr>")
    verdict = ('<span class="badge ok">every table reconciles</span>' if summary.get("reconciles")
               else '<span class="badge warn">does not reconcile</span>')
    return (f"<h3>Load</h3><p>Snapshot <code>{_e(summary.get('snapshot', ''))}</code> {verdict}</p>"
            "<table><thead><tr><th>table</th><th>file</th><th>read</th><th>loaded</th>"
            f"<th>quarantined</th><th>reasons</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _score_help_html() -> str:
    """What a score means, said once before the rings (a first-time reader asks it first)."""
    return f'<section class="score-help"><h2>What the score means</h2><p>{SCORE_MEANING}</p></section>'


def _legend_html() -> str:
    """One legend for every picture: node colours and shapes, then edge styles."""
    items = [f'<span class="key"><span class="swatch {"acct" if kind in ACCOUNT_TYPES else "ident"}" '
             f'style="background:{colour}"></span>{_e(kind)}</span>'
             for kind, colour in TYPE_COLOURS.items()]
    for rel, (colour, dash) in EDGE_STYLES.items():
        style = "dashed" if dash else "solid"
        items.append(f'<span class="key"><span class="line" style="border-top:3px {style} {colour}">'
                     f"</span>{_e(rel)}</span>")
    items.append('<span class="key"><span class="swatch acct folded"></span>'
                 "several members as one node</span>")
    return (f'<div class="legend">{"".join(items)}<span class="hint">line width: events or orders; '
            "a number on a line: how many edges it stands for</span></div>")


# --- one ring -----------------------------------------------------------------------------------

def _ring_html(ring: dict[str, Any], subgraph: Subgraph | None) -> str:
    """A ring's card: headline, picture, metrics, evidence and members by type."""
    rid = ring.get("ring_id", "")
    score = float(ring.get("score", 0.0))
    picture, drawn = (_svg_ring(subgraph) if subgraph is not None
                      else ('<p class="none">No picture.</p>', None))
    note = ""
    if subgraph is not None and subgraph.truncated:
        note = (f'<p class="note">Showing {len(subgraph.nodes)} of {len(ring.get("members", []))} '
                "members (accounts first).</p>")
    if drawn is not None and drawn.folded:
        groups = ", ".join(f"{n} {_plural(kind, n)}" for kind, n in drawn.folded.items())
        note += (f'<p class="note folded-note">Drawn as one node each: {_e(groups)}; every member '
                 "is listed below.</p>")
    return "\n".join([
        f'<article class="ring" id="{_e(rid)}">',
        f'<h3><code>{_e(rid)}</code> <span class="kind">{_e(ring.get("kind", ""))}</span> '
        f'<span class="score" style="background:{_score_colour(score)}" title="{_e(SCORE_TOOLTIP)}">'
        f"score {score:.2f}</span> "
        f'<span class="badge">{_e(ring.get("status", ""))}</span> '
        f'<span class="since">first detected {_e(ring.get("first_detected", ""))}</span></h3>',
        '<div class="cols"><div class="picture">', picture, note, "</div>",
        '<div class="details">', _metrics_html(ring.get("metrics", {})),
        _evidence_html(ring.get("evidence", [])), "</div></div>",
        _members_html(ring.get("members", [])),
        "</article>",
    ])


def _score_colour(score: float) -> str:
    return "#b3261e" if score >= 0.85 else "#d9822b" if score >= 0.7 else "#6b7280"


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _e(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:,.2f}"


def is_money(name: str) -> bool:
    """Whether a metric is a sum of money (shown with the ring's currency)."""
    return name in MONEY_METRICS or name.endswith(MONEY_SUFFIXES)


def money(value: float, currency: str | None) -> str:
    """An amount with its currency: ``1,830.50 USD``; just the number when the snapshot had none.

    ``currency`` is the ring's ``currency`` metric: an ISO code when the
    ring's orders share one, ``"mixed"`` when they do not (the sum then adds
    different currencies, and the reader must be told), ``None`` when the
    snapshot had no currency column.
    """
    number = f"{value:,.2f}"
    if not currency:
        return number
    return f"{number} (mixed currencies)" if currency == "mixed" else f"{number} {currency}"


def _metrics_html(metrics: dict[str, Any]) -> str:
    """Every metric by its whole name (wrapped, never cut); money with the ring's currency."""
    currency = metrics.get("currency")
    currency = str(currency) if currency else None
    rows = []
    for name, value in metrics.items():
        if name == "currency":
            continue
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        shown = _e(money(float(value), currency)) if numeric and is_money(name) else _fmt(value)
        rows.append(f'<tr><th data-metric="{_e(name)}">{_e(name.replace("_", " "))}</th>'
                    f'<td class="num">{shown}</td></tr>')
    return f'<table class="metrics"><tbody>{"".join(rows)}</tbody></table>'


def _evidence_html(evidence: list[dict[str, Any]]) -> str:
    items = "".join(f'<li><span class="weight" title="{_e(ev.get("code", ""))}">'
                    f"{float(ev.get('weight', 0)):.2f}</span> {_e(ev.get('text', ''))}</li>"
                    for ev in evidence)
    return f'<h4>Evidence</h4><ol class="evidence">{items}</ol>'


def _members_html(members: list[dict[str, Any]]) -> str:
    """Members grouped by type, accounts first, each type's ids as a wrapped list."""
    groups: dict[str, list[str]] = {}
    for m in members:
        groups.setdefault(str(m.get("type", "")), []).append(str(m.get("id", "")))
    rank = {t: i for i, t in enumerate(TYPE_PRIORITY)}
    rows = []
    for kind in sorted(groups, key=lambda k: (rank.get(k, len(rank)), k)):
        ids = " ".join(f"<code>{_e(i)}</code>" for i in sorted(groups[kind]))
        colour = TYPE_COLOURS.get(kind, OTHER_COLOUR)
        rows.append(f'<dt><span class="dot" style="background:{colour}"></span>{_e(kind)} '
                    f"({len(groups[kind])})</dt><dd>{ids}</dd>")
    return f'<details class="members" open><summary>Members ({len(members)})</summary>' \
           f'<dl>{"".join(rows)}</dl></details>'


# --- the picture --------------------------------------------------------------------------------

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
PLURALS = {"ip": "IPs", "payout_account": "payout accounts", "email": "e-mails"}

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
    kinds = {n.type for n in nodes}
    concentric = (bool(edges) and all(e.type == "USES" for e in edges)
                  and bool(kinds & ACCOUNT_TYPES) and bool(kinds - ACCOUNT_TYPES))
    if concentric:
        _concentric(nodes, edges)
    else:
        _layered(nodes, edges)
    width, height = _frame(nodes)
    _place_edge_texts(nodes, edges, width, height)
    return Picture(nodes, edges, width, height, "concentric" if concentric else "layered", folded)


def _type_rank(kind: str) -> tuple[int, str]:
    rank = TYPE_PRIORITY.index(kind) if kind in TYPE_PRIORITY else len(TYPE_PRIORITY)
    return rank, kind


def _plural(kind: str, n: int) -> str:
    if n == 1:
        return "IP" if kind == "ip" else kind.replace("_", " ")
    return PLURALS.get(kind, kind.replace("_", " ") + "s")


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
    by_type: dict[str, list[dict[str, Any]]] = {}
    for n in subgraph.nodes:
        by_type.setdefault(str(n.get("type", "")), []).append(n)
    drawn: list[DrawnNode] = []
    owner: dict[str, str] = {}
    folded: dict[str, int] = {}
    for kind in sorted(by_type, key=_type_rank):
        group = sorted(by_type[kind], key=lambda n: (-strength[n["id"]], str(n.get("label", ""))))
        keep = group
        if len(group) > GROUP_ABOVE:
            keep = [] if kind in FOLD_WHOLE else group[:GROUP_ABOVE - 1]
        for n in keep:
            label = str(n.get("label", n["id"]))
            owner[n["id"]] = n["id"]
            drawn.append(DrawnNode(n["id"], kind, wrap_label(label), [label], strength[n["id"]]))
        rest = group[len(keep):]
        if rest:
            key = f"group:{kind}"
            text = f"{len(rest)} {'more ' if keep else ''}{_plural(kind, len(rest))}"
            drawn.append(DrawnNode(key, kind, wrap_label(text), [str(n.get("label", n["id"])) for n in rest],
                                   sum(strength[n["id"]] for n in rest), folded=True))
            folded[kind] = len(rest)
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


def _column_of(kind: str) -> int:
    return COLUMN_ORDER.index(kind) if kind in COLUMN_ORDER else len(COLUMN_ORDER)


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


def _curve(a: DrawnNode, b: DrawnNode) -> tuple[float, float] | None:
    """The control point of an edge that skips a column (so it does not run through nodes)."""
    if a.column < 0 or b.column < 0 or abs(a.column - b.column) == 1:
        return None
    mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
    dx, dy = b.x - a.x, b.y - a.y
    length = math.hypot(dx, dy) or 1.0
    bow = 0.18 * length
    return mx + dy / length * bow, my - dx / length * bow


def _point_on(a: DrawnNode, b: DrawnNode, t: float) -> tuple[float, float]:
    control = _curve(a, b)
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
            return f"{edge.count} {_plural(end.type, edge.count)}"
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


def _svg_ring(subgraph: Subgraph) -> tuple[str, Picture | None]:
    """The subgraph as inline SVG (edges under nodes, one ``class="node"`` group per drawn node)."""
    if not subgraph.nodes:
        return '<p class="none">No members to draw.</p>', None
    pic = ring_picture(subgraph)
    by_key = {n.key: n for n in pic.nodes}
    weights: dict[str, list[float]] = defaultdict(list)
    for e in pic.edges:
        weights[e.type].append(e.weight)
    parts = [f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {pic.width:g} '
             f'{pic.height:g}" width="{pic.width:g}" height="{pic.height:g}" role="img" '
             f'aria-label="ring subgraph" data-layout="{pic.layout}">']
    for e in pic.edges:
        parts.append(_svg_edge(e, by_key[e.source], by_key[e.target], edge_width(e.weight, weights[e.type])))
    for e in pic.edges:
        if e.text_at is not None:
            parts.append(f'<text class="edge-count" x="{e.text_at[0]:.1f}" '
                         f'y="{e.text_at[1] + EDGE_FONT_SIZE * 0.35:.1f}" font-size="{EDGE_FONT_SIZE}" '
                         f'text-anchor="middle">{_e(e.text)}</text>')
    parts.extend(_svg_node(node) for node in pic.nodes)
    parts.append("</svg>")
    return "".join(parts), pic


def edge_width(weight: float, weights: Sequence[float]) -> float:
    """Stroke width of an edge among edges of its type: 1 to 4.5 px by the square root of weight.

    Widths are there to tell weights apart; when every edge of a type weighs
    the same (an OWNS edge, a farm's logins) they all get a quiet 2 px.
    """
    heaviest, lightest = max(weights, default=0.0), min(weights, default=0.0)
    if heaviest <= 0 or heaviest == lightest:
        return 2.0
    return 1.0 + 3.5 * math.sqrt(max(weight, 0.0) / heaviest)


def _svg_edge(edge: DrawnEdge, a: DrawnNode, b: DrawnNode, width: float) -> str:
    """One drawn edge: a line, or a curve when it skips a column; width by weight, count as tooltip."""
    colour, dash = EDGE_STYLES.get(edge.type, (OTHER_COLOUR, ""))
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    if edge.count > 1:
        unit = EDGE_UNITS.get(edge.type, "")
        total = f", {edge.weight:,.0f} {unit}" if unit else ""
        tip = f"{edge.type}: {edge.count} edges{total}"
    else:
        tip = f"{edge.type}: {edge.labels[0] if edge.labels else ''}"
    attrs = (f'class="edge" data-type="{_e(edge.type)}" data-count="{edge.count}" stroke="{colour}" '
             f'stroke-width="{width:.2f}" stroke-opacity="0.7" fill="none"{dash_attr}')
    control = _curve(a, b)
    if control is None:
        shape = f'<line {attrs} x1="{a.x:.1f}" y1="{a.y:.1f}" x2="{b.x:.1f}" y2="{b.y:.1f}">'
        return f"{shape}<title>{_e(tip)}</title></line>"
    d = f"M{a.x:.1f},{a.y:.1f} Q{control[0]:.1f},{control[1]:.1f} {b.x:.1f},{b.y:.1f}"
    return f'<path {attrs} d="{d}"><title>{_e(tip)}</title></path>'


def _svg_node(node: DrawnNode) -> str:
    """One node: a circle (account) or a square (identifier), its whole label, its members as tooltip."""
    colour = TYPE_COLOURS.get(node.type, OTHER_COLOUR)
    if node.folded:
        shown = ", ".join(node.members[:40]) + (", …" if len(node.members) > 40 else "")
        tip = f"{' '.join(node.lines)}: {shown}"
    else:
        tip = f"{node.type} {node.members[0]}"
    x, y, r = node.x, node.y, node.r
    if node.type in ACCOUNT_TYPES or node.type not in TYPE_COLOURS:
        shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}"/>'
    else:
        shape = (f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" '
                 f'rx="2" fill="{colour}"/>')
    x0, y0, x1, _ = label_box(node)
    anchor = {"start": "start", "end": "end"}.get(node.place, "middle")
    tx = {"start": x0, "end": x1}.get(node.place, (x0 + x1) / 2)
    baseline = y0 + (LINE_HEIGHT - FONT_SIZE) / 2 + 0.8 * FONT_SIZE
    if len(node.lines) == 1:
        text = _e(node.lines[0])
    else:
        text = "".join(f'<tspan x="{tx:.1f}" y="{baseline + i * LINE_HEIGHT:.1f}">{_e(line)}</tspan>'
                       for i, line in enumerate(node.lines))
    css = "node folded" if node.folded else "node"
    return (f'<g class="{css}" data-type="{_e(node.type)}" data-members="{len(node.members)}">'
            f"<title>{_e(tip)}</title>{shape}"
            f'<text x="{tx:.1f}" y="{baseline:.1f}" font-size="{FONT_SIZE}" text-anchor="{anchor}">'
            f"{text}</text></g>")


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:24px auto;
max-width:1320px;padding:0 16px;background:#f6f7f9}
h1{font-size:24px;margin:0 0 8px}h2{font-size:19px;margin:24px 0 8px}h3{font-size:16px;margin:14px 0 6px}
h4{font-size:13px;margin:10px 0 4px;text-transform:uppercase;letter-spacing:.04em;color:#57606a}
section.summary,article.ring{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 18px;
margin:12px 0}
dl.facts{display:flex;flex-wrap:wrap;gap:4px 18px;margin:4px 0}dl.facts dt{color:#57606a}
dl.facts dd{margin:0 0 0 -12px;font-weight:600}
.stats{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.stat{border:1px solid #d0d7de;border-radius:6px;padding:6px 14px;text-align:center;min-width:86px}
.stat .value{display:block;font-size:22px;font-weight:700}.stat .name{font-size:12px;color:#57606a}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #eaeef2;padding:3px 10px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f4f6;padding:0 3px;border-radius:3px}
.badge{display:inline-block;font-size:12px;padding:1px 7px;border-radius:10px;background:#eaeef2;
color:#1f2328}
.badge.ok{background:#dafbe1;color:#116329}.badge.warn{background:#fff1c2;color:#7d4e00}
.kind{font-weight:400;color:#57606a}.since{font-size:12px;font-weight:400;color:#57606a}
.score{color:#fff;font-size:12px;padding:1px 8px;border-radius:10px}
.cols{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.picture{flex:0 1 auto}.details{flex:1 1 320px;min-width:0}
svg.graph{background:#fbfbfc;border:1px solid #eaeef2;border-radius:6px;max-width:100%;height:auto}
svg.graph text{font-family:ui-monospace,SFMono-Regular,Menlo,"DejaVu Sans Mono",monospace;fill:#1f2328;
paint-order:stroke;stroke:#fbfbfc;stroke-width:3px;stroke-linejoin:round}
svg.graph text.edge-count{fill:#57606a}
svg.graph .node circle,svg.graph .node rect{stroke:#fff;stroke-width:1.2}
svg.graph .node.folded circle,svg.graph .node.folded rect{stroke:#1f2328;stroke-width:1.5;
stroke-dasharray:3 2}
table.metrics th{font-weight:400;color:#57606a;white-space:normal;overflow-wrap:anywhere}
table.metrics td{white-space:nowrap}
section.score-help{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:4px 18px 8px;
margin:12px 0}
section.score-help h2{font-size:16px;margin:10px 0 4px}section.score-help p{margin:4px 0;max-width:820px}
ol.evidence{padding-left:0;list-style:none;margin:4px 0}ol.evidence li{margin:3px 0}
.weight{display:inline-block;min-width:36px;font-size:11px;text-align:center;background:#eef2ff;
border-radius:4px;margin-right:4px}
.members summary{cursor:pointer;color:#57606a}.members dl{margin:4px 0}
.members dt{font-weight:600;margin-top:4px}.members dd{margin:2px 0 0 16px}
.members code{display:inline-block;margin:1px 2px}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center;background:#fff;border:1px solid #d0d7de;
border-radius:8px;padding:8px 14px;font-size:13px}
.legend .key{display:inline-flex;align-items:center;gap:5px}
.swatch{display:inline-block;width:12px;height:12px}.swatch.acct{border-radius:50%}.swatch.ident{border-radius:2px}
.swatch.folded{border:1.5px dashed #1f2328;background:#fff;box-sizing:border-box}
.legend .line{display:inline-block;width:22px;height:0}.legend .hint{color:#57606a;font-size:12px}
.note{font-size:12px;color:#7d4e00}.none{color:#57606a}
"""
