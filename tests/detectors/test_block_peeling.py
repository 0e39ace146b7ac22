"""The greedy peeling under the coordinated-block detector: it orders only what it reads.

A market's first peeling steps remove hundreds of thousands of light buyers at
once; only the states of at most ``max_members`` members (and, for chance's
envelope, of the sizes it is read at) depend on the order they go in. These
tests hold the peeling to what ordering every slice gives: the same split of
the lightest slices, the same block with or without an envelope being traced,
the same envelope wherever it is read, and a clear error where it is not.
"""

from __future__ import annotations

import numpy as np
import pytest

from ringwatch.detectors.coordinated_blocks import (
    _Envelope,
    _lightest,
    densest_block,
    entry_weights,
    peel_blocks,
)


@pytest.mark.parametrize("seed", range(40))
def test_the_lightest_split_is_what_a_stable_sort_gives(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    light = np.sort(rng.choice(10 * n, size=n, replace=False))
    mass = rng.integers(0, 6, size=n).astype(np.float64)  # many ties
    order = light[np.argsort(mass, kind="stable")]
    for head in (0, 1, n // 3, n - 1, n):
        first, rest = _lightest(light, mass, head)
        assert sorted(first.tolist()) == sorted(order[:head].tolist())
        assert rest.tolist() == order[head:].tolist()


def _market(seed: int, entries: int = 20_000) -> tuple[tuple[np.ndarray, ...], tuple[int, ...]]:
    """A skewed creator x shop x buyer tensor with a planted dense block."""
    rng = np.random.default_rng(seed)
    sizes = (400, 150, 6_000)
    codes = [np.minimum(rng.zipf(1.6, entries) - 1, n - 1) for n in sizes]
    codes = [rng.permutation(n)[c] for c, n in zip(codes, sizes, strict=True)]
    planted = 300
    codes = [np.r_[c, rng.integers(0, k, planted)] for c, k in zip(codes, (8, 3, 25), strict=True)]
    key = (codes[0] * sizes[1] + codes[1]) * sizes[2] + codes[2]
    _, first = np.unique(key, return_index=True)
    return tuple(c[first] for c in codes), sizes


@pytest.mark.parametrize("seed", range(6))
def test_blocks_are_the_same_whether_or_not_an_envelope_is_traced(seed: int) -> None:
    codes, sizes = _market(seed)
    weight = entry_weights(codes, sizes, 1.0)
    plain = peel_blocks(codes, sizes, weight, 8, max_members=60)
    traced = peel_blocks(codes, sizes, weight, 8, _Envelope(120.0), max_members=60)
    assert len(plain) >= 2
    for a, b in zip(plain, traced, strict=True):
        # The same states, summed in another order where the unordered part ends.
        assert a.density == pytest.approx(b.density, rel=1e-12)
        assert a.entries.tolist() == b.entries.tolist()
        assert all(x.tolist() == y.tolist() for x, y in zip(a.slices, b.slices, strict=True))


def test_the_envelope_is_the_same_as_ordering_every_slice_wherever_it_is_read() -> None:
    codes, sizes = _market(7)
    weight = entry_weights(codes, sizes, 1.0)
    narrow, wide = _Envelope(120.0), _Envelope(5_000.0)  # wide: orders nearly every state
    peel_blocks(codes, sizes, weight, 6, narrow, max_members=60)
    peel_blocks(codes, sizes, weight, 6, wide, max_members=60)
    for size in range(2, 61):
        assert narrow.at(size, 2.0) == pytest.approx(wide.at(size, 2.0), rel=1e-12)
    assert narrow.at(60, 2.0) > 0


def test_the_envelope_refuses_a_size_it_did_not_keep() -> None:
    with pytest.raises(ValueError, match="kept up to 120 members"):
        _Envelope(120.0).at(61, 2.0)


def test_a_peeling_that_never_comes_down_to_the_members_allowed_finds_no_block() -> None:
    # Every slice of a mode as heavy as the next: the first step removes every creator, and
    # every entry with them, while 99 shops and buyers are still in play.
    creators = np.repeat(np.arange(10), 9)
    shops = np.tile(np.arange(9), 10)
    buyers = np.arange(90)
    codes, sizes = (creators, shops, buyers), (10, 9, 90)
    alive = np.ones(90, dtype=bool)
    assert densest_block(codes, sizes, np.ones(90), alive, max_members=40) is None
    found = densest_block(codes, sizes, np.ones(90), alive, max_members=200)
    assert found is not None and len(found.entries) == 90
