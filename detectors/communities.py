"""Groups of nodes from weighted edge arrays: connected components, large ones split by Leiden.

Components alone merge two rings joined by one stray link; Leiden alone on the
whole graph pays for a global optimisation that nearly every small component
does not need. So: components first (cheap, exact), then Leiden with the
modularity objective (python-igraph's default is CPM, which needs a resolution
tuned to the weights) only inside components larger than ``max_size``.
"""

from __future__ import annotations

import random

import igraph as ig
import numpy as np


def groups(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, *, max_size: int,
           resolution: float = 1.0, seed: int = 42) -> list[np.ndarray]:
    """Partition the nodes touched by edges into groups; returns arrays of node indices.

    Isolated nodes (no edge) are not returned. Deterministic for a ``seed``.
    """
    if len(src) == 0:
        return []
    graph = ig.Graph(n=n, edges=np.column_stack([src, dst]), directed=False)
    graph.es["weight"] = np.asarray(weight, dtype=np.float64)
    membership = np.asarray(graph.connected_components().membership)
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
        found.extend(_split(graph.induced_subgraph(nodes), nodes, resolution=resolution,
                            seed=seed))
    return found


def _split(sub: ig.Graph, nodes: np.ndarray, *, resolution: float, seed: int) -> list[np.ndarray]:
    state = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        parts = sub.community_leiden(objective_function="modularity", weights="weight",
                                     resolution=resolution, n_iterations=-1)
    finally:
        ig.set_random_number_generator(random)
        random.setstate(state)
    membership = np.asarray(parts.membership)
    return [nodes[membership == p] for p in range(membership.max() + 1)
            if (membership == p).sum() >= 2]


def agglomerate(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, *,
                threshold: float, max_rounds: int = 8,
                initial: np.ndarray | None = None) -> np.ndarray:
    """Merge nodes into groups while the summed weight between two groups reaches ``threshold``.

    Round one joins the strongly linked pairs; later rounds join an account, or
    a whole group, whose many weak ties to another group add up (a farm's
    extra accounts that share only one busy device with its core). ``initial``
    labels, if given, are groups known before the first round. Returns a group
    label per node. Vectorised per round; rounds are few.
    """
    label = np.arange(n) if initial is None else np.asarray(initial)
    for _ in range(max_rounds):
        ga, gb = label[src], label[dst]
        between = ga != gb
        if not between.any():
            break
        lo = np.minimum(ga[between], gb[between])
        hi = np.maximum(ga[between], gb[between])
        key = lo.astype(np.int64) * n + hi
        uniq, inverse = np.unique(key, return_inverse=True)
        ties = np.bincount(inverse, weights=weight[between])
        strong = uniq[ties >= threshold]
        if len(strong) == 0:
            break
        graph = ig.Graph(n=n, edges=np.column_stack([strong // n, strong % n]), directed=False)
        label = np.asarray(graph.connected_components().membership)[label]
    return label
