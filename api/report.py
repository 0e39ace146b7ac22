"""The human-readable report of a detection run: one self-contained HTML file.

Risk analysts open it from a laptop, a ticket or an e-mail attachment, often
offline, so it carries everything inline: CSS in the head, each ring's picture
as inline SVG, no script and no external resource. Ids and evidence come from
marketplace input and are untrusted: every piece of text goes through
:func:`html.escape` before it reaches the page.

Each ring's picture is laid out by :mod:`ringwatch.reporting` (columns by
type, folding of crowded types, labels that never overlap); this module only
writes it as SVG, with the page around it.

The report only presents what the run already decided (rings, scores, evidence
from :mod:`ringwatch.detectors`, subgraphs from :mod:`ringwatch.graph.subgraph`);
it computes nothing a batch job would need.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ringwatch.domain import (
    AllowlistUseDocument,
    EvidenceDocument,
    LoadSummaryDocument,
    MemberDocument,
    RingDocument,
    RunDocument,
    account_types,
    identifier_types,
    ring_kinds,
    utc_stamp,
)
from ringwatch.graph.subgraph import Subgraph, type_priority
from ringwatch.reporting import (
    ACCOUNT_TYPES,
    EDGE_FONT_SIZE,
    EDGE_UNITS,
    FONT_SIZE,
    LINE_HEIGHT,
    DrawnEdge,
    DrawnNode,
    Picture,
    curve,
    edge_width,
    label_box,
    ring_picture,
)
from ringwatch.wording import money, type_noun

from .score_text import score_texts


def type_colours() -> dict[str, str]:
    """Fill colour per member type (accounts drawn as circles, identifiers as squares), from the table."""
    return {t.name: t.colour for t in (*account_types(), *identifier_types())}


OTHER_COLOUR = "#555555"

#: Stroke colour and dash pattern per relationship.
EDGE_STYLES: dict[str, tuple[str, str]] = {
    "USES": ("#8d8d8d", "6 4"),
    "TRADES": ("#d1495b", ""),
    "BOUGHT": ("#66a182", ""),
    "OWNS": ("#1b3a5c", ""),
}

#: Metrics that are sums of money: shown with the ring's ``currency`` metric
#: (see :func:`ringwatch.wording.money`).
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


def write_report(out_dir: Path, *, run: RunDocument, rings: Sequence[RingDocument],
                 subgraphs: Mapping[str, Subgraph], summary: LoadSummaryDocument | None = None,
                 top: int = 20) -> Path:
    """Write ``out_dir/report.html`` for one run and return its path.

    ``rings`` are the run's rings best first (only the first ``top`` are shown
    in detail), ``subgraphs`` maps a ring id to its picture (see
    :func:`ringwatch.reporting.subgraphs_for`; a ring without one is shown
    without a picture), and ``summary`` is a ``LoadSummary.as_dict()`` when the run followed a load.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shown = rings[:max(top, 0)]
    texts = score_texts([_score(ring) for ring in shown])
    body = "\n".join([
        _contents_html(shown, texts),
        _summary_html(run, summary),
        _score_help_html(),
        f'<h2 id="rings">Top {len(shown)} of {len(rings)} rings</h2>',
        '<p class="order">Highest score first; rings with the same score, the most commission at '
        "stake first (compared only within one currency, else by orders).</p>",
        _legend_html(),
        *(_ring_html(ring, subgraphs.get(ring["ring_id"]), text) for ring, text in zip(
            shown, texts, strict=True)),
    ])
    path = out_dir / "report.html"
    path.write_text(_page(f"Ringwatch report {run.get('run_id', '')}", body), encoding="utf-8")
    return path


# --- page and summary ---------------------------------------------------------------------------

def _e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<h1>Ringwatch report</h1>\n{body}\n</body>\n</html>\n")


def kind_words(kind: Any) -> str:
    """A ring kind as a reader says it ("lockstep ring"), from the domain's kind table."""
    labels = {k.name: k.label for k in ring_kinds()}
    return labels.get(str(kind), str(kind).replace("_", " "))


def _contents_html(rings: Sequence[RingDocument], texts: list[str]) -> str:
    """The table of contents: the run, the score's meaning, then one line per ring shown.

    A report of twenty dense rings is long; a reviewer who came for one ring jumps to it
    (the ring's card has its ring id as anchor) and sees kind and score before opening it.
    """
    lines = [f'<li><a href="#{_e(r.get("ring_id", ""))}"><code>{_e(r.get("ring_id", ""))}</code></a> '
             f'{_e(kind_words(r.get("kind", "")))}, score {_e(text)}, '
             f'{_e(len(r.get("members", [])))} members</li>' for r, text in zip(rings, texts, strict=True)]
    return ('<nav class="toc" aria-label="contents"><h2>Contents</h2><ol>'
            '<li><a href="#run">Run</a></li><li><a href="#score-help">What the score means</a></li>'
            f'<li><a href="#rings">Rings</a><ol class="toc-rings">{"".join(lines)}</ol></li>'
            "</ol></nav>")


def _summary_html(run: RunDocument, summary: LoadSummaryDocument | None) -> str:
    """Run facts, ring counts, allowlist use and (if given) the load reconciliation."""
    facts = [("run", run.get("run_id", "")), ("backend", run.get("backend", "")),
             ("started", run.get("started_at", ""))]
    if run.get("as_of_ms") is not None:
        as_of = datetime.fromtimestamp(int(run["as_of_ms"]) / 1000, tz=UTC)
        facts.append(("data as of", utc_stamp(as_of)))
    if run.get("duration_seconds") is not None:
        facts.append(("took", f"{run['duration_seconds']} s"))
    stats = [("rings", run.get("rings", 0))]
    plurals = {k.name: k.plural for k in ring_kinds()}
    stats += [(plurals.get(kind, kind), n) for kind, n in run.get("rings_by_kind", {}).items()]
    stats += [(name, run.get(name, 0)) for name in ("new", "persisting", "dissolved")]
    parts = [
        '<section class="summary" id="run"><h2>Run</h2><dl class="facts">',
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


def _allowlist_html(entries: Sequence[AllowlistUseDocument]) -> str:
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


def _load_html(summary: LoadSummaryDocument) -> str:
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
    return (f'<section class="score-help" id="score-help"><h2>What the score means</h2>'
            f"<p>{SCORE_MEANING}</p></section>")


def _legend_html() -> str:
    """One legend for every picture: node colours and shapes, then edge styles."""
    items = [f'<span class="key"><span class="swatch {"acct" if member_type in ACCOUNT_TYPES else "ident"}" '
             f'style="background:{colour}"></span>{_e(type_noun(member_type))}</span>'
             for member_type, colour in type_colours().items()]
    for rel, (colour, dash) in EDGE_STYLES.items():
        style = "dashed" if dash else "solid"
        items.append(f'<span class="key"><span class="line" style="border-top:3px {style} {colour}">'
                     f"</span>{_e(rel)}</span>")
    items.append('<span class="key"><span class="swatch acct folded"></span>'
                 "several members as one node</span>")
    return (f'<div class="legend">{"".join(items)}<span class="hint">line width: events or orders; '
            "a number on a line: how many edges it stands for</span></div>")


# --- one ring -----------------------------------------------------------------------------------

def _score(ring: RingDocument) -> float:
    return float(ring.get("score", 0.0))


def _ring_html(ring: RingDocument, subgraph: Subgraph | None, score_text: str) -> str:
    """A ring's card: headline (with its score as the list writes it), picture, metrics, evidence
    and members by type."""
    rid = ring.get("ring_id", "")
    score = _score(ring)
    picture, drawn = (_svg_ring(subgraph, ring.get("evidence", [])) if subgraph is not None
                      else ('<p class="none">No picture.</p>', None))
    note = ""
    if subgraph is not None and subgraph.truncated:
        note = (f'<p class="note">Showing {len(subgraph.nodes)} of {len(ring.get("members", []))} '
                "members (accounts first).</p>")
    if drawn is not None and drawn.folded:
        groups = ", ".join(f"{n} {type_noun(member_type, n)}" for member_type, n in drawn.folded.items())
        note += (f'<p class="note folded-note">Drawn as one node each: {_e(groups)}; every member '
                 "is listed below.</p>")
    return "\n".join([
        f'<article class="ring" id="{_e(rid)}">',
        f'<h3><code>{_e(rid)}</code> <span class="kind" data-kind="{_e(ring.get("kind", ""))}">'
        f'{_e(kind_words(ring.get("kind", "")))}</span> '
        f'<span class="score" style="background:{_score_colour(score)}" title="{_e(SCORE_TOOLTIP)}">'
        f"score {_e(score_text)}</span> "
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


def _metrics_html(metrics: Mapping[str, Any]) -> str:
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


def _evidence_html(evidence: Sequence[EvidenceDocument]) -> str:
    """The weighted evidence as a list; items of weight 0 apart, on one muted context line.

    An item of weight 0 (``honest_explanation``: the share of a lockstep group a seller's
    own creator team explains) adds nothing to the score, so it is not listed as evidence;
    but it says why the score was discounted, which a reviewer weighing the ring needs, so
    it is kept as context rather than hidden.
    """
    weighted = [ev for ev in evidence if float(ev.get("weight", 0) or 0) != 0]
    context = [ev for ev in evidence if float(ev.get("weight", 0) or 0) == 0]
    items = "".join(f'<li data-code="{_e(ev.get("code", ""))}"><span class="weight" '
                    f'title="{_e(str(ev.get("code", "")).replace("_", " "))}">'
                    f"{float(ev.get('weight', 0)):.2f}</span> {_e(ev.get('text', ''))}</li>"
                    for ev in weighted)
    html_ = f'<h4>Evidence</h4><ol class="evidence">{items}</ol>' if weighted else ""
    if context:
        html_ += ('<p class="context"><span class="context-title">Context (not counted in the score):'
                  "</span> " + " ".join(f'<span data-code="{_e(ev.get("code", ""))}">'
                                        f"{_e(ev.get('text', ''))}</span>" for ev in context) + "</p>")
    return html_


def _members_html(members: Sequence[MemberDocument]) -> str:
    """Members grouped by type, accounts first, each type's ids as a wrapped list."""
    groups: dict[str, list[str]] = {}
    for m in members:
        groups.setdefault(str(m.get("type", "")), []).append(str(m.get("id", "")))
    rank = {t: i for i, t in enumerate(type_priority())}
    rows = []
    for member_type in sorted(groups, key=lambda k: (rank.get(k, len(rank)), k)):
        ids = " ".join(f"<code>{_e(i)}</code>" for i in sorted(groups[member_type]))
        colour = type_colours().get(member_type, OTHER_COLOUR)
        n = len(groups[member_type])
        rows.append(f'<dt data-type="{_e(member_type)}"><span class="dot" style="background:{colour}">'
                    f"</span>{n:,} {_e(type_noun(member_type, n))}</dt><dd>{ids}</dd>")
    return f'<details class="members" open><summary>Members ({len(members)})</summary>' \
           f'<dl>{"".join(rows)}</dl></details>'


# --- the picture as SVG -------------------------------------------------------------------------

def decisive_identifiers(pic: Picture, evidence: list[dict[str, Any]]) -> set[str]:
    """The drawn identifiers a ring's case rests on: those its heaviest identifier evidence names.

    The page marks the same ones (``decisiveKeys`` in the page's script): an identifier is
    weighed by the heaviest weighted evidence sentence naming it, and the decisive ones weigh at
    least half the heaviest, so one strong tie (a payout account ten creators share) stands out
    and a weak one beside it (a shared IP) does not.
    """
    weights: dict[str, float] = {}
    for node in pic.nodes:
        if node.folded or node.type in ACCOUNT_TYPES:
            continue
        named = re.compile(r"(^|[\s(,])" + re.escape(node.members[0]) + r"($|[\s),;:'])")
        for ev in evidence:
            weight = float(ev.get("weight", 0) or 0)
            if weight > 0 and named.search(str(ev.get("text", ""))):
                weights[node.key] = max(weights.get(node.key, 0.0), weight)
    heaviest = max(weights.values(), default=0.0)
    return {key for key, weight in weights.items() if weight >= heaviest / 2 and weight > 0}


def _svg_ring(subgraph: Subgraph, evidence: list[dict[str, Any]] | None = None) -> tuple[str, Picture | None]:
    """The subgraph as inline SVG (edges under nodes, one ``class="node"`` group per drawn node)."""
    if not subgraph.nodes:
        return '<p class="none">No members to draw.</p>', None
    pic = ring_picture(subgraph)
    decisive = decisive_identifiers(pic, evidence or [])
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
    parts.extend(_svg_node(node, decisive=node.key in decisive) for node in pic.nodes)
    parts.append("</svg>")
    return "".join(parts), pic


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
    control = curve(a, b)
    if control is None:
        shape = f'<line {attrs} x1="{a.x:.1f}" y1="{a.y:.1f}" x2="{b.x:.1f}" y2="{b.y:.1f}">'
        return f"{shape}<title>{_e(tip)}</title></line>"
    d = f"M{a.x:.1f},{a.y:.1f} Q{control[0]:.1f},{control[1]:.1f} {b.x:.1f},{b.y:.1f}"
    return f'<path {attrs} d="{d}"><title>{_e(tip)}</title></path>'


def _svg_node(node: DrawnNode, *, decisive: bool = False) -> str:
    """One node: a circle (account) or a square (identifier), its whole label, its members as tooltip."""
    colours = type_colours()
    colour = colours.get(node.type, OTHER_COLOUR)
    if node.folded:
        shown = ", ".join(node.members[:40]) + (", …" if len(node.members) > 40 else "")
        tip = f"{' '.join(node.lines)}: {shown}"
    else:
        tip = f"{type_noun(node.type)} {node.members[0]}"
    x, y, r = node.x, node.y, node.r
    if node.type in ACCOUNT_TYPES or node.type not in colours:
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
    css = "node folded" if node.folded else "node decisive" if decisive else "node"
    if decisive:
        tip += " (decisive: the ring's heaviest evidence names it)"
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
svg.graph .node.decisive circle,svg.graph .node.decisive rect{stroke:#b3261e;stroke-width:3.5}
svg.graph .node.decisive text{font-weight:700}
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
p.context{font-size:12px;color:#57606a;margin:6px 0}.context-title{font-weight:600}
nav.toc{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:4px 18px 8px;margin:12px 0}
nav.toc h2{font-size:16px;margin:10px 0 4px}nav.toc ol{margin:2px 0;padding-left:20px}
nav.toc ol.toc-rings{columns:2 360px;font-size:13px}
"""
