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
