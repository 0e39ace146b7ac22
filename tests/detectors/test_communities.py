"""Grouping on edge arrays: components, Leiden splits of large ones, sum-linkage merging."""

from __future__ import annotations

import itertools

import numpy as np

from ringwatch.detectors.communities import agglomerate, groups


def _two_cliques_and_a_bridge(size: int) -> tuple[np.ndarray, np.ndarray]:
    left = list(itertools.combinations(range(size), 2))
    right = [(a + size, b + size) for a, b in left]
    edges = np.array([*left, *right, (0, size)])
    return edges[:, 0], edges[:, 1]


def test_small_components_are_returned_whole() -> None:
    src, dst = _two_cliques_and_a_bridge(5)
    found = groups(10, src, dst, np.ones(len(src)), max_size=40)
    assert [sorted(g.tolist()) for g in found] == [list(range(10))]


def test_a_component_over_the_size_limit_is_split_by_leiden() -> None:
    src, dst = _two_cliques_and_a_bridge(6)
    found = groups(12, src, dst, np.ones(len(src)), max_size=8, seed=1)
    assert sorted(sorted(g.tolist()) for g in found) == [list(range(6)), list(range(6, 12))]


def test_split_is_deterministic_for_a_seed() -> None:
    src, dst = _two_cliques_and_a_bridge(7)
    once = groups(14, src, dst, np.ones(len(src)), max_size=8, seed=3)
    again = groups(14, src, dst, np.ones(len(src)), max_size=8, seed=3)
    assert [g.tolist() for g in once] == [g.tolist() for g in again]


def test_weak_ties_add_up_to_a_merge_but_a_single_one_does_not() -> None:
    # 0-1 strongly linked; 2 has weak ties (0.5) to both 0 and 1; 3 one weak tie to 0.
    src = np.array([0, 0, 1, 0])
    dst = np.array([1, 2, 2, 3])
    weight = np.array([1.0, 0.5, 0.5, 0.5])
    label = agglomerate(4, src, dst, weight, threshold=0.9)
    assert label[0] == label[1] == label[2]
    assert label[3] != label[0]


def test_components_through_shared_codes_equal_components_of_the_member_pairs() -> None:
    import numpy as np

    from ringwatch.detectors.communities import components, components_through

    members = np.array([0, 1, 1, 2, 4, 5])
    through = np.array([7, 7, 3, 3, 0, 0])  # 0-1-2 share 7 and 3; 4-5 share 0; 3 alone
    joined = components_through(6, members, through)
    pairs = components(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert (joined[:, None] == joined[None, :]).tolist() == (
        pairs[:, None] == pairs[None, :]).tolist()
    assert len(set(joined.tolist())) == 3


def test_components_number_as_igraph_does_on_random_graphs() -> None:
    """Labels in order of each component's lowest node, as igraph's own search gives them:
    isolated nodes, self loops and repeated edges included."""
    import igraph as ig

    from ringwatch.detectors.communities import components

    rng = np.random.default_rng(7)
    for n, m in [(1, 0), (5, 0), (30, 12), (200, 150), (2_000, 1_900), (500, 2_000)]:
        src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
        graph = ig.Graph(n=n, edges=np.column_stack([src, dst]).tolist())
        expected = graph.connected_components().membership
        labels = components(n, src, dst)
        assert labels.dtype == np.int64
        assert labels.tolist() == expected
    assert components(0, np.array([], dtype=np.int64), np.array([], dtype=np.int64)).tolist() == []


def test_a_split_component_gives_the_parts_igraph_gives_on_the_whole_graph() -> None:
    """The component's graph built on its own gives Leiden the same input as igraph's
    ``induced_subgraph`` of the whole graph: the same parts, in the same order."""
    import random

    import igraph as ig

    rng = np.random.default_rng(11)
    cliques = [rng.permutation(300)[k * 30:(k + 1) * 30] for k in range(10)]
    edges = [(a, b) for c in cliques for a, b in itertools.combinations(c.tolist(), 2)
             if rng.random() < 0.6]
    edges += [(int(rng.integers(300)), int(rng.integers(300))) for _ in range(40)]
    src, dst = np.array(edges).T
    weight = rng.random(len(src)) + 0.5
    found = groups(400, src, dst, weight, max_size=50, seed=5)
    # The same by igraph alone: the whole graph, each large component induced and split.
    whole = ig.Graph(n=400, edges=edges)
    whole.es["weight"] = weight.tolist()
    expected = []
    for nodes in whole.connected_components():
        if len(nodes) < 2:
            continue
        if len(nodes) <= 50:
            expected.append(nodes)
            continue
        ig.set_random_number_generator(random.Random(5))
        parts = whole.induced_subgraph(nodes).community_leiden(
            objective_function="modularity", weights="weight", n_iterations=-1)
        ig.set_random_number_generator(random)
        expected += [[nodes[i] for i in part] for part in parts if len(part) >= 2]
    assert len(found) > 3
    assert [g.tolist() for g in found] == expected
