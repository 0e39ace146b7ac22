"""Groups of nodes from weighted edge arrays: connected components, large ones split by Leiden.

Components alone merge two rings joined by one stray link; Leiden alone on the
whole graph pays for a global optimisation that nearly every small component
does not need. So: components first (cheap, exact), then Leiden only inside
components larger than ``max_size``, under the objective the caller names.
Identity rings split with CPM (the Constant Potts Model, python-igraph's
default), its resolution being the link weight per pair of accounts a part must
reach (``IdentityConfig.split_density``): modularity's resolution limit would
leave parts of hundreds of loosely chained accounts whole. Collusion rings keep
:func:`groups`' default, modularity, whose resolution of 1 needs no tuning to
their order-count weights.
"""

from __future__ import annotations

import random

import igraph as ig
import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components


def components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The connected component of each of ``n`` nodes, joined by the edges ``src``-``dst``.

    A node no edge touches is a component of its own. Labels are numbered in
    order of each component's lowest node (as igraph numbers them). SciPy's
    search on a sparse matrix made straight from the arrays, not an igraph
    graph: igraph builds a graph from an edge array one Python pair at a time
    (0.7 s a million edges, against 0.05 s here).
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    adjacency = csr_array((np.ones(len(src), dtype=np.int8),
                           (np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64))),
                          shape=(n, n))
    return connected_components(adjacency, directed=False)[1].astype(np.int64)


def components_through(n: int, members: np.ndarray, through: np.ndarray) -> np.ndarray:
    """The component of each of ``n`` members when members sharing a ``through`` code are joined.

    ``members`` and ``through`` are integer codes, one pair per row (an
    account and an identifier it uses, a creator and a cell it is in): the
    components of the bipartite graph, read on the member side, without
    listing every pair of members that share one.
    """
    if len(through) == 0:
        return np.arange(n)
    return components(n + int(through.max()) + 1, members, n + through)[:n]


def groups(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, *, max_size: int,
           resolution: float = 1.0, seed: int = 42, objective: str = "modularity",
           atoms: np.ndarray | None = None, iterations: int = -1) -> list[np.ndarray]:
    """Partition the nodes touched by edges into groups; returns arrays of node indices.

    Components up to ``max_size`` nodes are groups as they are; larger ones are
    split with Leiden under ``objective`` (``"modularity"``, or ``"cpm"`` where
    ``resolution`` is the weight per node pair a part must reach to stay whole).
    ``atoms`` (a label per node) are sets never split: nodes already known to
    be one (accounts on one operator's payout account); a large component is
    split between atoms, each weighing its size (CPM node weights). Isolated
    nodes (no edge) are not returned. Deterministic for a ``seed``. ``iterations``:
    Leiden's passes (-1: until the partition is stable; two settle most of it at a
    fraction of the cost, for a caller that only proposes groups for a test to judge).
    """
    if len(src) == 0:
        return []
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    membership = components(n, src, dst)
    sizes = np.bincount(membership)
    touched = np.zeros(n, dtype=bool)
    touched[src] = touched[dst] = True
    found: list[np.ndarray] = []
    order = np.argsort(membership, kind="stable")
    bounds = np.r_[0, np.cumsum(sizes)]
    for c in np.flatnonzero(sizes >= 2):
        nodes = order[bounds[c]:bounds[c + 1]]
        nodes = nodes[touched[nodes]]
        if len(nodes) < 2:
            continue
        if len(nodes) <= max_size:
            found.append(nodes)
            continue
        if atoms is not None and objective == "cpm":
            found.extend(_split_atoms(nodes, src, dst, weight, atoms, resolution=resolution,
                                      seed=seed))
            continue
        found.extend(_split(_induced(n, nodes, src, dst, weight), nodes, resolution=resolution,
                            seed=seed, objective=objective, iterations=iterations))
    return found


def _induced(n: int, nodes: np.ndarray, src: np.ndarray, dst: np.ndarray,
             weight: np.ndarray) -> ig.Graph:
    """The weighted graph of one component of the ``n`` nodes: ``nodes`` (ascending) renumbered
    from 0 in their order, and the edges inside it in the order given (as igraph's
    ``induced_subgraph`` of the whole graph leaves them), built without building the whole graph."""
    position = np.full(n, -1, dtype=np.int64)
    position[nodes] = np.arange(len(nodes))
    inside = position[src] >= 0  # an edge with one end in a component has both there
    sub = _graph(len(nodes), position[src[inside]], position[dst[inside]])
    sub.es["weight"] = weight[inside]
    return sub


def _graph(n: int, src: np.ndarray, dst: np.ndarray) -> ig.Graph:
    """An undirected igraph graph of ``n`` nodes and the edges ``src``-``dst``, in that order.

    Edges added to an empty graph: igraph's constructor reads an edge array twice as
    slowly (0.35 s against 0.16 s for 600,000 edges), with the same edge list.
    """
    graph = ig.Graph(n=n, directed=False)
    graph.add_edges(np.column_stack([src, dst]))
    return graph


def _split_atoms(nodes: np.ndarray, src: np.ndarray, dst: np.ndarray, weight: np.ndarray,
                 atoms: np.ndarray, *, resolution: float, seed: int) -> list[np.ndarray]:
    """CPM on the component with each atom contracted to one node weighing its size."""
    inside = np.zeros(len(atoms), dtype=bool)
    inside[nodes] = True
    keep = inside[src] & inside[dst]
    codes, members = np.unique(atoms[nodes], return_inverse=True)
    atom_of = np.full(len(atoms), -1)
    atom_of[nodes] = members
    a, b = atom_of[src[keep]], atom_of[dst[keep]]
    between = a != b
    contracted = _graph(len(codes), a[between], b[between])
    contracted.es["weight"] = np.asarray(weight[keep][between], dtype=np.float64)
    contracted.simplify(combine_edges="sum")
    sizes = np.bincount(members, minlength=len(codes)).astype(np.float64)
    state = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        parts = contracted.community_leiden(objective_function="CPM", weights="weight",
                                            node_weights=sizes.tolist(), resolution=resolution,
                                            n_iterations=-1)
    finally:
        ig.set_random_number_generator(random)
        random.setstate(state)
    return _parts(nodes, np.asarray(parts.membership)[members])


def _split(sub: ig.Graph, nodes: np.ndarray, *, resolution: float, seed: int,
           objective: str, iterations: int = -1) -> list[np.ndarray]:
    if objective not in ("modularity", "cpm"):
        raise ValueError(f"objective must be 'modularity' or 'cpm', not {objective!r}")
    state = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        parts = sub.community_leiden(objective_function=objective.upper() if objective == "cpm"
                                     else objective, weights="weight",
                                     resolution=resolution, n_iterations=iterations)
    finally:
        ig.set_random_number_generator(random)
        random.setstate(state)
    return _parts(nodes, np.asarray(parts.membership))


def _parts(nodes: np.ndarray, membership: np.ndarray) -> list[np.ndarray]:
    """``nodes`` grouped by ``membership`` (labels from 0), parts of two or more in label order,
    each in the order of ``nodes``: one stable sort, not one pass over the nodes per part (a
    large component splits into thousands)."""
    order = np.argsort(membership, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(membership))]
    return [nodes[order[bounds[p]:bounds[p + 1]]] for p in np.flatnonzero(np.diff(bounds) >= 2)]


def agglomerate(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, *,
                threshold: float, max_rounds: int = 8, initial: np.ndarray | None = None,
                via: np.ndarray | None = None) -> np.ndarray:
    """Merge nodes into groups while the summed weight between two groups reaches ``threshold``.

    Round one joins the strongly linked pairs; later rounds join an account, or
    a whole group, whose several ties to another group add up (a farm's extra
    accounts that share a phone with one member and a device with another).
    ``via`` names what each edge goes through (an identifier code): between two
    groups, one identifier counts once, at its strongest, however many members
    of the group use it, so one widely shared payroll account does not add up
    to a strong tie by being shared with every member of a farm. ``initial``
    labels, if given, are groups known before the first round. Returns a group
    label per node. Vectorised per round; rounds are few.

    A round after the first weighs only the edges that touch a group the round
    before formed: two groups neither of which changed have the same ties as
    before, which fell short, and every edge between a new group and another
    touches the new one, so its ties are summed whole, from the same edges in
    the same order. Most of a market's groups never change after the first
    round (0.32 -> 0.11 s at half a million edges).
    """
    label = np.arange(n) if initial is None else np.asarray(initial)
    via = np.arange(len(src)) if via is None else np.asarray(via)
    src, dst, weight = np.asarray(src), np.asarray(dst), np.asarray(weight)
    rows = np.arange(len(src))  # the edges this round weighs
    for _ in range(max_rounds):
        ga, gb = label[src[rows]], label[dst[rows]]
        between = ga != gb
        if not between.any():
            break
        at = rows[between]
        pair = (np.minimum(ga[between], gb[between]).astype(np.int64) * n
                + np.maximum(ga[between], gb[between]))
        pair, best = _strongest_per_via(pair, via[at], weight[at])
        ties = pd.Series(best).groupby(pair, sort=False).sum()
        strong = ties.index.to_numpy()[ties.to_numpy() >= threshold]
        if len(strong) == 0:
            break
        merged = components(n, strong // n, strong % n)
        # A group is new when it holds more than one of the groups before.
        grew = np.bincount(merged[np.flatnonzero(np.bincount(label, minlength=n))], minlength=n) > 1
        label = merged[label]
        rows = np.flatnonzero(grew[label[src]] | grew[label[dst]])
    return label


def _strongest_per_via(pair: np.ndarray, via: np.ndarray,
                       weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The largest ``weight`` of each distinct (``pair``, ``via``), in order of first appearance.

    A group-by max on integer keys by one stable sort: the order (first
    appearance) is the one pandas' ``groupby(sort=False)`` gives, so the sums
    made from these rows add the same numbers in the same order.
    """
    order = np.lexsort((via, pair))  # stable: within a run, the earliest row comes first
    pair_sorted, via_sorted = pair[order], via[order]
    starts = np.flatnonzero(np.r_[True, (pair_sorted[1:] != pair_sorted[:-1])
                                  | (via_sorted[1:] != via_sorted[:-1])])
    best = np.maximum.reduceat(weight[order], starts)
    appearance = np.argsort(order[starts], kind="stable")
    return pair_sorted[starts][appearance], best[appearance]
