"""Naive and classic ring finders, to show what the real detectors add over the obvious.

All read the raw ``identity_links`` projection: no allowlist, no weighting by
identifier type, no trade signals. If a baseline scores close to the real
pipeline on :func:`~ringwatch.detectors.evaluation.evaluate`, the data set is
too easy to tell the difference. They return ring dicts in the shape the
pipeline returns (``kind``, ``score``, ``members`` as ``{type, id}``,
``metrics``), so the evaluation scores them identically. A baseline does not
rank: every ring gets score 1.0.

- :func:`connected_components_baseline`: every chain of shared identifiers;
- :func:`hub_capped_components_baseline`: the same without identifiers shared
  by more than 20 accounts (hubs);
- :func:`leiden_baseline`: hub-capped components split by Leiden (modularity),
  rings of at least 3 accounts: the "plain baseline" of sybil-detection work,
  which reaches a creator F1 of about 0.67 on real airdrop sybil data;
- :func:`louvain_baseline`: networkx Louvain on the account-account sharing graph;
- :func:`fraudar_baseline`: FRAUDAR's greedy peeling of the densest
  account x identifier blocks (Hooi et al., KDD 2016).

``BASELINES`` names each with a one-line description, for benchmarks and reports.

Example
-------
On a small generated marketplace, read in memory:

>>> import tempfile
>>> from ringwatch.detectors.context import MarketContext
>>> from ringwatch.detectors.evaluation import evaluate, load_labels
>>> from ringwatch.generator import GeneratorConfig, generate_snapshot
>>> from ringwatch.loaders import load_snapshot
>>> made = generate_snapshot(tempfile.mkdtemp(), GeneratorConfig(scale=0.02, seed=1))
>>> context = MarketContext.from_tables(load_snapshot(made.path).snapshot.tables)
>>> rings = louvain_baseline(context, seed=7)
>>> {ring["score"] for ring in rings}  # a baseline does not rank
{1.0}
>>> 0.0 <= evaluate(rings, load_labels(made.path / "labels.csv")).overall.creator_f1 <= 1.0
True
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypedDict

import igraph as ig
import networkx as nx
import numpy as np
import pandas as pd
from networkx.algorithms.community import louvain_communities

from ringwatch.domain import MemberDocument

from .communities import components_through
from .context import MarketContext


class BaselineRing(TypedDict):
    """A baseline's ring: the pipeline's ring document without evidence, every score 1.0.

    ``metrics`` has ``creators`` and ``accounts``; FRAUDAR's rings add its
    block's ``density`` and ``identifiers``.
    """

    kind: str
    score: float
    members: list[MemberDocument]
    metrics: dict[str, int | float]


COMPONENTS_KIND = "baseline_components"
LOUVAIN_KIND = "baseline_louvain"
HUB_CAPPED_KIND = "baseline_components_hub_cap"
LEIDEN_KIND = "baseline_leiden"
FRAUDAR_KIND = "baseline_fraudar"
#: Identifiers shared by more accounts than this are hubs to the capped baselines.
HUB_CAP = 20


def raw_links(ctx: MarketContext) -> pd.DataFrame:
    """Distinct (account, identifier) links of the raw projection, with ``sharing`` per identifier.

    Columns ``account`` and ``ident`` (``"type:id"`` keys), ``identifier_type``, and
    ``sharing`` = distinct accounts using the identifier; allowlisted identifiers stay in.
    """
    links = ctx["identity_links"]
    frame = pd.DataFrame({
        "account": (links["account_type"] + ":" + links["account_id"]).to_numpy(),
        "ident": (links["identifier_type"] + ":" + links["identifier"]).to_numpy(),
        "identifier_type": links["identifier_type"].to_numpy(),
    }).drop_duplicates(["account", "ident"], ignore_index=True)
    frame["sharing"] = frame.groupby("ident")["account"].transform("size").to_numpy()
    return frame


def account_pairs(links: pd.DataFrame, *, max_sharing: int) -> pd.DataFrame:
    """Every pair of accounts sharing an identifier used by 2 to ``max_sharing`` accounts.

    One row per (pair, identifier): columns ``a`` < ``b`` (account keys) and
    ``ident``. Built with numpy from ``links`` sorted by identifier (no loop
    over identifiers); kept here rather than shared with the detectors so the
    baselines stay fixed while the detectors change.
    """
    usable = links[(links["sharing"] >= 2) & (links["sharing"] <= max_sharing)]
    usable = usable.sort_values(["ident", "account"], kind="stable")
    accounts = usable["account"].to_numpy()
    idents = usable["ident"].to_numpy()
    n = len(usable)
    if n == 0:
        return pd.DataFrame({"a": [], "b": [], "ident": []})
    starts = np.flatnonzero(np.r_[True, idents[1:] != idents[:-1]])
    sizes = np.diff(np.r_[starts, n])
    # Each member pairs with the members after it in its identifier's group.
    later = np.repeat(starts + sizes, sizes) - np.arange(n) - 1
    first = np.repeat(np.arange(n), later)
    second = first + 1 + np.arange(int(later.sum())) - np.repeat(np.cumsum(later) - later, later)
    a, b = accounts[first], accounts[second]
    swap = a > b
    return pd.DataFrame({"a": np.where(swap, b, a), "b": np.where(swap, a, b),
                         "ident": idents[first]})


def connected_components_baseline(ctx: MarketContext, *, min_creators: int = 2) -> list[BaselineRing]:
    """Accounts joined by any chain of shared identifiers, one ring per component.

    Connected components (python-igraph) of the account–identifier bipartite
    graph of every raw link; a component with at least ``min_creators`` creators
    is a ring whose members are its accounts. One busy IP chains thousands of
    honest accounts together: that is the failure this baseline exhibits.
    """
    links = raw_links(ctx)
    if links.empty:
        return []
    account_codes, accounts = pd.factorize(links["account"], sort=True)
    ident_codes, _ = pd.factorize(links["ident"], sort=True)
    membership = components_through(len(accounts), account_codes, ident_codes)
    return _rings(np.asarray(accounts, dtype=object), membership, kind=COMPONENTS_KIND,
                  min_creators=min_creators)


def louvain_baseline(ctx: MarketContext, *, seed: int = 42, max_sharing: int = 1000,
                     min_creators: int = 2) -> list[BaselineRing]:
    """Louvain communities (networkx, modularity, resolution 1) of the account–account sharing graph.

    Two accounts are joined with weight = the number of raw identifiers they
    share. Identifiers used by more than ``max_sharing`` accounts are skipped:
    an identifier shared by k accounts makes k(k-1)/2 pairs, and the few carrier
    IPs with thousands of accounts would make millions of edges while telling
    Louvain nothing. A community with at least ``min_creators`` creators is a
    ring whose members are its accounts. Deterministic for a ``seed``.
    """
    pairs = account_pairs(raw_links(ctx), max_sharing=max_sharing)
    if pairs.empty:
        return []
    shared = pairs.groupby(["a", "b"], sort=True).size()
    graph = nx.Graph()
    graph.add_weighted_edges_from(zip(shared.index.get_level_values("a"),
                                      shared.index.get_level_values("b"),
                                      shared.to_numpy(dtype=np.float64), strict=True))
    communities = louvain_communities(graph, weight="weight", seed=seed)
    accounts = np.array([a for community in communities for a in community], dtype=object)
    membership = np.repeat(np.arange(len(communities)), [len(c) for c in communities])
    return _rings(accounts, membership, kind=LOUVAIN_KIND, min_creators=min_creators)


def hub_capped_components_baseline(ctx: MarketContext, *, max_sharing: int = HUB_CAP,
                                   min_creators: int = 2) -> list[BaselineRing]:
    """Connected components over shared identifiers, hubs left out: one ring per component.

    As :func:`connected_components_baseline`, but identifiers used by more than
    ``max_sharing`` accounts (carrier NAT, aggregators, exchanges) join nothing,
    so one busy IP no longer chains the market together. What it still merges:
    anything a rare identifier touches (a family tablet, an agency's studio kit).
    """
    links = raw_links(ctx)
    links = links[links["sharing"] <= max_sharing]
    if links.empty:
        return []
    account_codes, accounts = pd.factorize(links["account"], sort=True)
    ident_codes, _ = pd.factorize(links["ident"], sort=True)
    membership = components_through(len(accounts), account_codes, ident_codes)
    return _rings(np.asarray(accounts, dtype=object), membership, kind=HUB_CAPPED_KIND,
                  min_creators=min_creators)


def leiden_baseline(ctx: MarketContext, *, max_sharing: int = HUB_CAP, min_accounts: int = 3,
                    min_creators: int = 1, resolution: float = 1.0,
                    seed: int = 42) -> list[BaselineRing]:
    """Hub-capped components, each split by Leiden (modularity), rings of ``min_accounts`` or more.

    The account-account graph joins two accounts with weight = the number of
    identifiers they share, among identifiers used by at most ``max_sharing``
    accounts. Its connected components of at least ``2 * min_accounts``
    accounts are split with python-igraph's Leiden under the *modularity*
    objective (igraph's default is CPM) at ``resolution``; smaller ones could
    only lose accounts to a split and stay whole. A part with at least
    ``min_accounts`` accounts and ``min_creators`` creators is a ring. This is
    the usual plain baseline of sybil detection (components, hub cap, Leiden,
    minimum size 3). Deterministic for a ``seed``; igraph's random generator is
    restored afterwards.
    """
    pairs = account_pairs(raw_links(ctx), max_sharing=max_sharing)
    if pairs.empty:
        return []
    shared = pairs.groupby(["a", "b"], sort=True).size()
    a = shared.index.get_level_values("a").to_numpy()
    b = shared.index.get_level_values("b").to_numpy()
    codes, accounts = pd.factorize(np.concatenate([a, b]), sort=True)
    graph = ig.Graph(n=len(accounts), edges=np.column_stack([codes[:len(a)], codes[len(a):]]),
                     directed=False)
    graph.es["weight"] = shared.to_numpy(dtype=np.float64)
    membership = np.asarray(graph.connected_components().membership, dtype=np.int64)
    sizes = np.bincount(membership)
    order = np.argsort(membership, kind="stable")
    bounds = np.r_[0, np.cumsum(sizes)]
    next_label = len(sizes)
    with _seeded_igraph(seed):
        for component in np.flatnonzero(sizes >= 2 * min_accounts):
            # Ascending, as igraph numbers the induced subgraph's vertices.
            nodes = order[bounds[component]:bounds[component + 1]]
            parts = graph.induced_subgraph(nodes).community_leiden(
                objective_function="modularity", weights="weight", resolution=resolution,
                n_iterations=-1)
            part = np.asarray(parts.membership, dtype=np.int64)
            if part.max() > 0:
                membership[nodes] = np.where(part == 0, component, next_label + part - 1)
                next_label += int(part.max())
    return _rings(np.asarray(accounts, dtype=object), membership, kind=LEIDEN_KIND,
                  min_creators=min_creators, min_accounts=min_accounts)


@dataclass(frozen=True)
class FraudarBlock:
    """One block found by FRAUDAR's peeling: row (account) and column (identifier) indices, density."""

    accounts: np.ndarray
    identifiers: np.ndarray
    density: float


def fraudar_baseline(ctx: MarketContext, *, max_blocks: int = 50, min_accounts: int = 3,
                     min_creators: int = 1, log_offset: float = 5.0) -> list[BaselineRing]:
    """FRAUDAR (Hooi et al., KDD 2016): the densest account x identifier blocks, peeled greedily.

    The bipartite graph has one edge per raw (account, identifier) link,
    weighted by the paper's column-weighted suspiciousness 1 / log(d + ``log_offset``),
    where d is the number of accounts using the identifier: a link to a hub
    says little, which is FRAUDAR's camouflage resistance. Identifiers used by
    one account only are left out: they tie nobody to anybody, yet under that
    weighting they would weigh the most, and every honest account with its own
    phone, email and devices would look as dense as a farm.
    :func:`fraudar_blocks` finds up to ``max_blocks`` blocks, each the densest
    left once the earlier blocks' accounts are taken out; a block with at least
    ``min_accounts`` accounts and ``min_creators`` creators is a ring (its
    accounts are the members; its density is in ``metrics``). Deterministic.
    """
    links = raw_links(ctx)
    links = links[links["sharing"] >= 2]
    if links.empty:
        return []
    account_codes, accounts = pd.factorize(links["account"], sort=True)
    ident_codes, idents = pd.factorize(links["ident"], sort=True)
    accounts = np.asarray(accounts, dtype=object)
    blocks = fraudar_blocks(account_codes, ident_codes, n_rows=len(accounts),
                            n_cols=len(idents), max_blocks=max_blocks, log_offset=log_offset)
    found: list[BaselineRing] = []
    for block in blocks:
        rings = _rings(accounts[block.accounts], np.zeros(len(block.accounts), dtype=np.int64),
                       kind=FRAUDAR_KIND, min_creators=min_creators, min_accounts=min_accounts)
        for ring in rings:
            ring["metrics"]["density"] = round(block.density, 4)
            ring["metrics"]["identifiers"] = len(block.identifiers)
        found.extend(rings)
    return found


def fraudar_blocks(rows: np.ndarray, cols: np.ndarray, *, n_rows: int, n_cols: int,
                   max_blocks: int = 50, log_offset: float = 5.0) -> list[FraudarBlock]:
    """Repeated FRAUDAR peeling of a bipartite graph given as edge arrays (row, column).

    Each round runs the paper's greedy algorithm on what is left: start from
    every node with an edge, repeatedly remove the node whose removal loses the
    least edge weight (a heap with lazy updates), and keep the node set with
    the highest density g(S) = f(S) / |S| seen along the way (f: the sum of
    the column-weighted edge weights inside S). That set's rows are the block;
    they are removed with their edges before the next round. Rounds stop after
    ``max_blocks``, when no edge is left, or when the densest set is everything
    left (no block stands out of the rest). Greedy peeling is within a factor 2
    of the densest block (the paper's guarantee).
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    pair = np.unique(rows * max(n_cols, 1) + cols)
    rows, cols = pair // max(n_cols, 1), pair % max(n_cols, 1)
    degree = np.bincount(cols, minlength=n_cols)
    weight = 1.0 / np.log(degree[cols] + log_offset)
    # One node space: rows first, then columns; adjacency as CSR over both directions.
    n = n_rows + n_cols
    src = np.concatenate([rows, n_rows + cols])
    dst = np.concatenate([n_rows + cols, rows])
    both = np.concatenate([weight, weight])
    order = np.argsort(src, kind="stable")
    indptr = np.r_[0, np.cumsum(np.bincount(src, minlength=n))]
    neighbours, weights = dst[order].tolist(), both[order].tolist()
    starts = indptr.tolist()
    alive_edge = np.ones(len(rows), dtype=bool)
    taken = np.zeros(n_rows, dtype=bool)
    blocks = []
    for _ in range(max_blocks):
        keep = alive_edge & ~taken[rows]
        if not keep.any():
            break
        priority = np.bincount(rows[keep], weights=weight[keep], minlength=n_rows)
        priority = np.concatenate([priority, np.bincount(cols[keep], weights=weight[keep],
                                                         minlength=n_cols)])
        present = np.zeros(n, dtype=bool)
        present[rows[keep]] = True
        present[n_rows + cols[keep]] = True
        inside, density = _peel(priority, present, neighbours, weights, starts)
        block_rows = inside[inside < n_rows]
        if block_rows.size == 0 or len(inside) == int(present.sum()):
            break
        taken[block_rows] = True
        blocks.append(FraudarBlock(accounts=block_rows, identifiers=inside[inside >= n_rows] - n_rows,
                                   density=density))
    return blocks


def _peel(priority: np.ndarray, present: np.ndarray, neighbours: list[int], weights: list[float],
          starts: list[int]) -> tuple[np.ndarray, float]:
    """One greedy peeling (FRAUDAR's Algorithm 1); returns the densest node set seen and its density.

    ``priority`` is each present node's weighted degree towards present nodes.
    """
    prio = priority.tolist()
    nodes = np.flatnonzero(present)
    heap = [(prio[v], v) for v in nodes.tolist()]
    heapq.heapify(heap)
    removed = ~present
    gone = removed.tolist()
    total = float(priority[present].sum()) / 2.0  # every edge is counted at both its ends
    alive = len(nodes)
    best, best_step = total / alive, 0
    peeled: list[int] = []
    while heap:
        p, v = heapq.heappop(heap)
        if gone[v] or p != prio[v]:
            continue
        gone[v] = True
        peeled.append(v)
        total -= p
        alive -= 1
        for k in range(starts[v], starts[v + 1]):
            u = neighbours[k]
            if not gone[u]:
                prio[u] -= weights[k]
                heapq.heappush(heap, (prio[u], u))
        # Strictly denser, beyond float noise from the running subtraction.
        if alive and total / alive > best * (1.0 + 1e-9):
            best, best_step = total / alive, len(peeled)
    inside = present.copy()
    inside[peeled[:best_step]] = False
    return np.flatnonzero(inside), best


@contextmanager
def _seeded_igraph(seed: int) -> Iterator[None]:
    """igraph draws from ``random.Random(seed)`` inside, from the ``random`` module again after."""
    state = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)
        random.setstate(state)


def _rings(accounts: np.ndarray, membership: np.ndarray, *, kind: str,
           min_creators: int, min_accounts: int = 1) -> list[BaselineRing]:
    """Ring dicts for the groups of ``membership`` with enough creators and accounts."""
    frame = pd.DataFrame({"group": membership, "account": accounts})
    split = frame["account"].str.split(":", n=1, expand=True)
    if split.empty:
        return []
    frame["type"], frame["id"] = split[0], split[1]
    creators = frame["type"].eq("creator").groupby(frame["group"]).sum()
    size = frame.groupby("group").size()
    wanted = creators.index[(creators >= min_creators) & (size >= min_accounts).to_numpy()]
    kept = frame[frame["group"].isin(wanted)]
    rings: list[BaselineRing] = []
    for group, part in kept.sort_values(["group", "type", "id"]).groupby("group", sort=True):
        rings.append({
            "kind": kind,
            "score": 1.0,
            "members": [{"type": t, "id": i} for t, i in zip(part["type"], part["id"], strict=True)],
            "metrics": {"creators": int(creators[group]), "accounts": len(part)},
        })
    return sorted(rings, key=lambda r: (-r["metrics"]["creators"], r["members"][0]["id"]))


Baseline = Callable[[MarketContext], list[BaselineRing]]


@dataclass(frozen=True)
class BaselineSpec:
    """A baseline by name: what it is, in one line, and the function that finds its rings."""

    name: str
    description: str
    find: Baseline


#: Every baseline with its defaults, in the order a report lists them.
BASELINES: tuple[BaselineSpec, ...] = (
    BaselineSpec("components", "connected components over all shared identifiers",
                 connected_components_baseline),
    BaselineSpec("components_hub_cap", f"connected components, identifiers shared by at most "
                 f"{HUB_CAP} accounts", hub_capped_components_baseline),
    BaselineSpec("leiden", f"components + hub cap {HUB_CAP} + Leiden (modularity) split, rings "
                 f"of 3+ accounts", leiden_baseline),
    BaselineSpec("louvain", "networkx Louvain on the shared-identifier graph", louvain_baseline),
    BaselineSpec("fraudar", "FRAUDAR greedy peeling (log-weighted columns), 50 blocks",
                 fraudar_baseline),
)
