"""The human-readable report of a detection run: one self-contained HTML file.

Risk analysts open it from a laptop, a ticket or an e-mail attachment, often
offline, so it carries everything inline: CSS in the head, each ring's picture
as inline SVG laid out with python-igraph, no script and no external resource.
Ids and evidence come from marketplace input and are untrusted: every piece of
text goes through :func:`html.escape` before it reaches the page.

The report only presents what the run already decided (rings, scores, evidence
from :mod:`ringwatch.detectors`, subgraphs from :mod:`ringwatch.graph.subgraph`);
it computes nothing a batch job would need.
"""

from __future__ import annotations

import html
import math
import random
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import igraph
import numpy as np
import pandas as pd
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
ACCOUNT_TYPES = frozenset({"creator", "shop", "seller", "buyer"})
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

WIDTH, HEIGHT, MARGIN = 720, 480, 40
#: Width and height a node needs for itself and its label before pictures get crowded.
LABEL_ROOM = (72.0, 34.0)
#: Longest drawn hop, in pixels (see :func:`_fit`).
MAX_HOP = 150.0
LAYOUT_SEED = 7


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


def _legend_html() -> str:
    """One legend for every picture: node colours and shapes, then edge styles."""
    items = [f'<span class="key"><span class="swatch {"acct" if kind in ACCOUNT_TYPES else "ident"}" '
             f'style="background:{colour}"></span>{_e(kind)}</span>'
             for kind, colour in TYPE_COLOURS.items()]
    for rel, (colour, dash) in EDGE_STYLES.items():
        style = "dashed" if dash else "solid"
        items.append(f'<span class="key"><span class="line" style="border-top:3px {style} {colour}">'
                     f"</span>{_e(rel)}</span>")
    return f'<div class="legend">{"".join(items)}<span class="hint">line width: events or orders</span></div>'


# --- one ring -----------------------------------------------------------------------------------

def _ring_html(ring: dict[str, Any], subgraph: Subgraph | None) -> str:
    """A ring's card: headline, picture, metrics, evidence and members by type."""
    rid = ring.get("ring_id", "")
    score = float(ring.get("score", 0.0))
    picture = _svg_ring(subgraph) if subgraph is not None else '<p class="none">No picture.</p>'
    note = ""
    if subgraph is not None and subgraph.truncated:
        note = (f'<p class="note">Showing {len(subgraph.nodes)} of {len(ring.get("members", []))} '
                "members (accounts first).</p>")
    return "\n".join([
        f'<article class="ring" id="{_e(rid)}">',
        f'<h3><code>{_e(rid)}</code> <span class="kind">{_e(ring.get("kind", ""))}</span> '
        f'<span class="score" style="background:{_score_colour(score)}">score {score:.2f}</span> '
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


def _metrics_html(metrics: dict[str, Any]) -> str:
    cells = "".join(f"<tr><th>{_e(k.replace('_', ' '))}</th><td class=\"num\">{_fmt(v)}</td></tr>"
                    for k, v in metrics.items())
    return f'<table class="metrics"><tbody>{cells}</tbody></table>'


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

def _svg_ring(subgraph: Subgraph) -> str:
    """The subgraph as inline SVG: edges under nodes, one ``class="node"`` group per node."""
    if not subgraph.nodes:
        return '<p class="none">No members to draw.</p>'
    index = {n["id"]: i for i, n in enumerate(subgraph.nodes)}
    edges = [e for e in subgraph.edges if e["source"] in index and e["target"] in index]
    points = _layout(len(index), [(index[e["source"]], index[e["target"]]) for e in edges])
    degree = [0] * len(index)
    for e in edges:
        degree[index[e["source"]]] += 1
        degree[index[e["target"]]] += 1
    heaviest: dict[str, float] = {}
    for e in edges:
        heaviest[e["type"]] = max(heaviest.get(e["type"], 0.0), float(e["weight"]))
    parts = [f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="ring subgraph">']
    for e in edges:
        (x1, y1), (x2, y2) = points[index[e["source"]]], points[index[e["target"]]]
        colour, dash = EDGE_STYLES.get(e["type"], (OTHER_COLOUR, ""))
        most = heaviest.get(e["type"]) or 1.0
        width = 0.7 + 3.3 * math.sqrt(max(float(e["weight"]), 0.0) / most)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     f'stroke="{colour}" stroke-width="{width:.2f}" stroke-opacity="0.7"{dash_attr}>'
                     f"<title>{_e(e['type'])}: {_e(e.get('label', ''))}</title></line>")
    for node, (x, y), deg in zip(subgraph.nodes, points, degree, strict=True):
        parts.append(_svg_node(node, x, y, deg))
    parts.append("</svg>")
    return "".join(parts)


def _svg_node(node: dict[str, Any], x: float, y: float, degree: int) -> str:
    """One node: a circle (account) or a square (identifier), its full id as tooltip, a short label."""
    kind = str(node.get("type", ""))
    colour = TYPE_COLOURS.get(kind, OTHER_COLOUR)
    r = min(5.0 + 1.3 * math.sqrt(degree), 12.0)
    tip = f"<title>{_e(kind)} {_e(node.get('label', ''))}</title>"
    if kind in ACCOUNT_TYPES or kind not in TYPE_COLOURS:
        shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}"/>'
    else:
        shape = (f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" '
                 f'rx="2" fill="{colour}"/>')
    label = str(node.get("label", ""))
    short = label if len(label) <= 16 else label[:15] + "…"
    return (f'<g class="node" data-type="{_e(kind)}">{tip}{shape}'
            f'<text x="{x:.1f}" y="{y + r + 9:.1f}">{_e(short)}</text></g>')


@contextmanager
def _seeded_igraph(seed: int) -> Iterator[None]:
    """Give igraph a private seeded generator, then hand it back the ``random`` module (its default)."""
    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def _layout(n: int, pairs: list[tuple[int, int]]) -> list[tuple[float, float]]:
    """Kamada-Kawai positions scaled into the picture and pushed apart; the same for the same graph.

    Kamada-Kawai keeps graph distances (an identity ring's shared device sits
    among its accounts), but a collusion ring's dense core still lands in a
    clump while its sellers hang far out: :func:`_spread` then opens the clump
    so that every node and label can be read.
    """
    if n == 1:
        return [(WIDTH / 2, HEIGHT / 2)]
    graph = igraph.Graph(n=n, edges=sorted({(min(a, b), max(a, b)) for a, b in pairs if a != b}))
    start = [[math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)] for i in range(n)]
    with _seeded_igraph(LAYOUT_SEED):
        coords = np.array(graph.layout_kamada_kawai(seed=start, maxiter=50 * n).coords, dtype=float)
    low, high = np.array([MARGIN, MARGIN]), np.array([WIDTH - MARGIN, HEIGHT - MARGIN])
    coords = _fit(coords, low, high)
    # Room for a node with its label under it, shrunk when the picture is crowded.
    room = np.array([LABEL_ROOM[0], LABEL_ROOM[1]])
    crowding = math.sqrt(0.6 * float(np.prod(high - low)) / (n * float(np.prod(room))))
    return [(float(x), float(y)) for x, y in _spread(coords, room * min(1.0, crowding), low, high)]


def _fit(coords: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Scale positions uniformly into the box ``low``..``high``, centred.

    Kamada-Kawai's unit is one hop; a hop is drawn at most ``MAX_HOP`` pixels so
    that a three-member ring stays a small triangle instead of filling the box.
    """
    span = np.ptp(coords, axis=0)
    span[span == 0] = 1.0
    scale = min(float(np.min((high - low) / span)), MAX_HOP)
    return (low + high) / 2 + (coords - coords.min(axis=0) - span / 2) * scale


def _spread(coords: np.ndarray, room: np.ndarray, low: np.ndarray, high: np.ndarray, *,
            rounds: int = 100) -> np.ndarray:
    """Push apart nodes whose ``room`` (an ellipse, wide for the label) overlaps, inside the box.

    Each round moves both nodes of an overlapping pair by half the overlap;
    no randomness, so the same input gives the same picture.
    """
    points = coords.copy()
    n = len(points)
    # A fixed tiny offset per node separates exact duplicates without randomness.
    nudge = np.stack([np.cos(np.arange(n)), np.sin(np.arange(n))], axis=1) * 1e-3
    points += nudge
    for _ in range(rounds):
        delta = (points[:, None, :] - points[None, :, :]) / room
        dist = np.sqrt((delta ** 2).sum(axis=2))
        np.fill_diagonal(dist, np.inf)
        short = np.clip(1.0 - dist, 0.0, None)
        if not short.any():
            break
        push = (delta / dist[:, :, None] * (short / 2)[:, :, None]).sum(axis=1) * room
        points = np.clip(points + push, low, high)
    return points


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
svg.graph text{font:8px ui-monospace,Menlo,monospace;fill:#3b4148;text-anchor:middle;
paint-order:stroke;stroke:#fbfbfc;stroke-width:2px}
svg.graph .node circle,svg.graph .node rect{stroke:#fff;stroke-width:1.2}
table.metrics th{font-weight:400;color:#57606a}
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
.legend .line{display:inline-block;width:22px;height:0}.legend .hint{color:#57606a;font-size:12px}
.note{font-size:12px;color:#7d4e00}.none{color:#57606a}
"""
