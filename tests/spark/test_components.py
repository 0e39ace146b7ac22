"""Large-star / small-star labels every node with its component's smallest node, as igraph finds them."""

from __future__ import annotations

import numpy as np

from ringwatch.detectors.communities import components
from ringwatch.spark.components import connected_components


def test_components_match_igraph_on_a_random_sparse_graph(spark) -> None:
    rng = np.random.default_rng(5)
    n = 150
    src, dst = rng.integers(0, n, 110), rng.integers(0, n, 110)
    names = np.array([f"n{i:04d}" for i in range(n)])
    edges = spark.createDataFrame([(str(names[a]), str(names[b])) for a, b in zip(src, dst, strict=True)],
                                  "src string, dst string")
    labels = dict(connected_components(edges).rdd.map(tuple).collect())
    expected = components(n, src, dst)
    touched = np.unique(np.r_[src[src != dst], dst[src != dst]])
    assert set(labels) == {str(names[i]) for i in touched}
    for i in touched:  # the label is the smallest name in the node's igraph component
        same = np.flatnonzero(expected == expected[i])
        same = same[np.isin(same, touched)]
        assert labels[str(names[i])] == min(names[same].tolist())


def test_a_long_path_settles_into_one_component(spark) -> None:
    path = [(f"v{i:03d}", f"v{i + 1:03d}") for i in range(0, 60)][::-1]
    labels = connected_components(spark.createDataFrame(path, "src string, dst string")).collect()
    assert {row["component"] for row in labels} == {"v000"}
    assert len(labels) == 61
