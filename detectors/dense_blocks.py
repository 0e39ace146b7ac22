"""Dense blocks in a weighted bipartite graph, by greedy peeling (FRAUDAR-style).

Collusion that spreads thin gives each creator-shop pair at most one weak
signal, so no pair is suspicious on its own; what gives it away is the block:
the same few creators trading with the same few shops, densely, with one pool
of buyers. Greedy peeling finds the densest subgraph (Charikar 2000; batch
peeling after Bahmani, Kumar and Vassilvitskii 2012, which removes every node
whose degree is below ``2(1 + eps)`` times the density per round, so a round is
one vectorised pass and the rounds are logarithmically few). Hooi et al.'s
FRAUDAR (KDD 2016) adds column weights that make camouflage useless: an edge
to a popular shop weighs ``1 / log(degree + 5)``, so honest trade with busy
shops adds little density to a block.
"""

from __future__ import annotations

import numpy as np


def column_weights(column: np.ndarray, n: int) -> np.ndarray:
    """FRAUDAR's weight per edge: ``1 / log(degree of its column node + 5)``."""
    degree = np.bincount(column, minlength=n)
    return 1.0 / np.log(degree[column] + 5.0)


def densest_block(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, *,
                  eps: float = 0.1) -> tuple[np.ndarray, float]:
    """The node set of (approximately) the densest subgraph and its density.

    Density is total edge weight over node count. Nodes are ``0..n-1``; the
    result holds only nodes that have edges. Batch peeling gives at least
    ``1 / (2(1 + eps))`` of the best density.
    """
    alive = np.zeros(n, dtype=bool)
    alive[src] = alive[dst] = True
    best, best_density = alive.copy(), 0.0
    while alive.any():
        live = alive[src] & alive[dst]
        degree = (np.bincount(src[live], weights=weight[live], minlength=n)
                  + np.bincount(dst[live], weights=weight[live], minlength=n))
        density = float(weight[live].sum()) / int(alive.sum())
        if density > best_density:
            best, best_density = alive.copy(), density
        peel = alive & (degree <= 2.0 * (1.0 + eps) * density)
        if not peel.any():  # cannot happen (some degree is at most twice the density)
            break
        alive &= ~peel
    return np.flatnonzero(best), best_density


def dense_blocks(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, *,
                 min_density: float, max_blocks: int = 200,
                 eps: float = 0.1) -> list[np.ndarray]:
    """Peel dense blocks one after another, each from what the earlier ones left.

    Stops when the densest remaining block is below ``min_density`` or after
    ``max_blocks`` blocks. Returns the node sets, densest first.
    """
    found: list[np.ndarray] = []
    live = np.ones(len(src), dtype=bool)
    while live.any() and len(found) < max_blocks:
        nodes, density = densest_block(n, src[live], dst[live], weight[live], eps=eps)
        if density < min_density or len(nodes) < 2:
            break
        found.append(nodes)
        taken = np.zeros(n, dtype=bool)
        taken[nodes] = True
        live &= ~(taken[src] | taken[dst])
    return found
