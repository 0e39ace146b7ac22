"""How two accounts are connected: the shortest paths between them through the account graph.

An investigator starts from one account or two and asks how they are tied:
through which device, which payout account, which shop's orders. The answer
is every shortest path between the two (up to ``max_paths``), hop by hop, in
the same account graph the neighbourhood walk uses (``AccountGraph.neighbourhood``:
accounts and identifiers joined by USES, sellers and shops by OWNS, creators
and shops by TRADES, buyers and shops or creators by BOUGHT).

The search is a breadth-first search from both ends at once, one adjacency
call per layer for a whole frontier (the store's ``_adjacent`` hook, so both
stores answer the same), stopped at ``max_hops`` and at a deadline. A node
with more than ``per_node`` neighbours is a *hub* (a carrier NAT's IP, a
payment aggregator's payout account, a shop with a million orders): a path
may end a side's walk at a hub, and the two sides may meet on it, but the
search never walks through its crowd; the hubs on a path are named as hubs,
so that a reviewer reads "both use an IP thousands use" for what it is, not as
proof.

Example
-------
Two creators on one device, the second also on a payout account with a third:

>>> graph = {("creator", "a"): [("device", "d")], ("device", "d"): [("creator", "a"),
...          ("creator", "b")], ("creator", "b"): [("device", "d"), ("payout_account", "p")],
...          ("payout_account", "p"): [("creator", "b"), ("creator", "c")],
...          ("creator", "c"): [("payout_account", "p")]}
>>> def adjacent(nodes, per_node):
...     return {n: graph.get(n, []) for n in nodes}
>>> found = shortest_paths(("creator", "a"), ("creator", "c"), adjacent, max_hops=4, per_node=50)
>>> found.hops, [[n[1] for n in path] for path in found.paths]
(4, [['a', 'd', 'b', 'p', 'c']])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice

from .capabilities import Node

Adjacent = Callable[[Sequence[Node], int], Mapping[Node, Iterable[Node]]]


@dataclass(frozen=True)
class PathSearch:
    """What a path search found: the shortest paths, the hubs it met, and whether it finished.

    ``paths`` each run from the source to the target (``hops`` edges long, all
    of the same, shortest length; ``None`` and no path when none was found).
    ``hubs`` are the nodes met that have more than ``per_node`` neighbours and
    were not walked through. ``complete`` is False when the deadline stopped
    the search before it could say there is no shorter path; ``reason`` then
    says so, or says why no path was found.
    """

    paths: list[list[Node]]
    hops: int | None
    hubs: frozenset[Node] = field(default_factory=frozenset)
    complete: bool = True
    reason: str | None = None


class _Side:
    """One end of the bidirectional search: distances and parents of every node it reached."""

    def __init__(self, start: Node) -> None:
        self.depth: dict[Node, int] = {start: 0}
        self.parents: dict[Node, list[Node]] = {start: []}
        self.frontier: list[Node] = [start]
        #: Nodes whose neighbours were read: whether they are hubs is known.
        self.expanded: set[Node] = set()
        self.layer = 0

    def expand(self, adjacent: Adjacent, per_node: int, hubs: set[Node]) -> None:
        """Reach the next layer from the frontier (hubs are reached, never expanded)."""
        walkable = [n for n in self.frontier if n not in hubs]
        neighbours = adjacent(walkable, per_node) if walkable else {}
        self.expanded.update(walkable)
        self.layer += 1
        reached: dict[Node, None] = {}
        for node in walkable:
            around = sorted(set(neighbours.get(node, ())))
            if len(around) > per_node:
                hubs.add(node)
                if self.layer > 1:
                    continue  # reached through something else: a crowd, not a tie
                around = around[:per_node]  # an end is walked from, its first neighbours only
            for other in around:
                seen = self.depth.get(other)
                if seen is None:
                    self.depth[other] = self.layer
                    self.parents[other] = [node]
                    reached[other] = None
                elif seen == self.layer:
                    self.parents[other].append(node)
        self.frontier = list(reached)

    def routes(self, node: Node) -> Iterator[list[Node]]:
        """Every shortest route from this side's start to ``node``, start first, one at a time."""
        if not self.parents[node]:
            yield [node]
            return
        for parent in self.parents[node]:
            for route in self.routes(parent):
                yield [*route, node]


def shortest_paths(source: Node, target: Node, adjacent: Adjacent, *, max_hops: int,
                   per_node: int, max_paths: int = 10, deadline: float | None = None
                   ) -> PathSearch:
    """Every shortest path from ``source`` to ``target`` within ``max_hops`` edges (see module).

    ``adjacent`` is the store's adjacency hook (every node's neighbours, at
    least ``per_node + 1`` of them when it has more); ``deadline`` a
    :func:`time.monotonic` instant after which the search stops and says so.
    At most ``max_paths`` paths are returned, in node order.
    """
    if source == target:
        return PathSearch([[source]], 0)
    ends = _Side(source), _Side(target)
    hubs: set[Node] = set()
    # The ends themselves may be crowded (a shop): walked from (their first per_node
    # neighbours), named as hubs, never walked through.
    while ends[0].layer + ends[1].layer < max_hops:
        if deadline is not None and time.monotonic() > deadline:
            return PathSearch([], None, frozenset(hubs), complete=False,
                              reason=f"stopped at the time limit after {ends[0].layer + ends[1].layer} "
                                     "hops without a path")
        side = min(ends, key=lambda s: (len(s.frontier), s is ends[1]))
        if not side.frontier:
            break
        side.expand(adjacent, per_node, hubs)
        meeting = [n for n in side.frontier if n in ends[1 - ends.index(side)].depth]
        if meeting:
            found = _joined(ends, sorted(meeting), max_paths)
            return _with_hubs(found, adjacent, per_node, hubs, {source, target},
                              ends[0].expanded | ends[1].expanded)
    return PathSearch([], None, frozenset(hubs),
                      reason=f"no path of at most {max_hops} hops (hubs are not walked through)")


def _joined(ends: tuple[_Side, _Side], meeting: list[Node], max_paths: int) -> PathSearch:
    """The paths through the nodes where the two sides met, shortest only."""
    total = min(ends[0].depth[n] + ends[1].depth[n] for n in meeting)

    def every() -> Iterator[list[Node]]:
        for node in meeting:
            if ends[0].depth[node] + ends[1].depth[node] == total:
                for head in ends[0].routes(node):
                    for tail in ends[1].routes(node):
                        yield head + tail[::-1][1:]

    # The first max_paths in a fixed order (nodes sorted at every step), so both stores
    # name the same ones; a dense graph's thousands of equal paths are never all built.
    return PathSearch(sorted(islice(every(), max_paths)), total)


def _with_hubs(found: PathSearch, adjacent: Adjacent, per_node: int, hubs: set[Node],
               ends: set[Node], expanded: set[Node]) -> PathSearch:
    """``found`` with the hubs on its paths named: the ends, and inner nodes met but never
    expanded (where the two sides met) are asked once for their neighbours."""
    inner = {n for p in found.paths for n in p[1:-1]}
    unknown = sorted(inner - hubs - expanded)
    if unknown:
        counts = adjacent(unknown, per_node)
        hubs |= {n for n in unknown if len(set(counts.get(n, ()))) > per_node}
    on_paths = inner | (ends if found.paths else set())
    return PathSearch(found.paths, found.hops, frozenset(hubs & on_paths), found.complete,
                      found.reason)
