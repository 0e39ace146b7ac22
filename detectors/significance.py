"""Exact tail tests and false-discovery control, shared by the detectors.

A signal is a statistical test: a count (refunds, repeat orders) against the
rate the same shop's or category's honest trade shows, with its sample size.
Two orders of which one was refunded is no evidence at any plausible rate; the
binomial tail says so without a hand-set minimum. Over thousands of pairs some
tails are small by chance, so every test a detector makes goes through
Benjamini-Hochberg together, and a signal is raised only where the whole set
keeps its false-discovery rate.

Example
-------
>>> import numpy as np
>>> binomial_tail(np.array([1, 2, 8]), np.array([2, 2, 10]), np.array([0.1, 0.1, 0.1])).round(4)
array([0.19, 0.01, 0.  ])
>>> bh_qvalues(np.array([0.001, 0.02, 0.5])).round(3)
array([0.003, 0.03 , 0.5  ])
>>> evidence_weight(np.array([0.5, 0.05, 0.01, 1e-6]), cap=0.95).round(3)
array([0.   , 0.593, 0.875, 0.95 ])
"""

from __future__ import annotations

import numpy as np
from scipy.special import bdtrc


def binomial_tail(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """P(X >= k) for X ~ Binomial(n, p), elementwise; 1 where ``k <= 0``.

    ``p`` is clipped into (0, 1): a null rate of exactly 0 would make a single
    refund infinitely surprising.
    """
    k = np.asarray(k).astype(np.int64)
    n = np.asarray(n).astype(np.int64)
    k, n = np.broadcast_arrays(k, n)
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    # scipy.special's bdtrc is binom.sf without importing scipy.stats (two seconds of every
    # command's start); it is defined for 0 <= k - 1 < n only, the rest is 1 or 0.
    inside = (k > 0) & (k <= n)
    tail = bdtrc(np.where(inside, k - 1, 0), np.where(inside, n, 1), p)
    return np.where(k <= 0, 1.0, np.where(inside, np.clip(tail, 0.0, 1.0), 0.0))


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the order given.

    A test with q <= alpha is a discovery at false-discovery rate alpha over
    every test in ``p``. NaN p-values (tests not made) stay NaN and do not
    count as tests.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    made = np.flatnonzero(~np.isnan(p))
    if not len(made):
        return q
    order = made[np.argsort(p[made], kind="stable")]
    m = len(order)
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    return q


def smoothed_share(hits: np.ndarray, total: np.ndarray, prior: np.ndarray | float,
                   strength: float) -> np.ndarray:
    """``hits / total`` pulled toward ``prior`` by ``strength`` pseudo-observations.

    A shop with three organic orders has no refund rate of its own yet; its
    category's stands in for it until its own orders outweigh ``strength``.
    """
    hits = np.asarray(hits, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    return (hits + strength * np.asarray(prior, dtype=np.float64)) / (total + strength)


def bayes_factor_bound(p: np.ndarray) -> np.ndarray:
    """The most a p-value can say for the alternative: ``1 / (-e p ln p)`` for p < 1/e, else 1.

    Sellke, Bayarri and Berger (2001): whatever the alternative, the Bayes
    factor a p-value of ``p`` carries against its null is at most this. A
    test at 0.05 is worth a likelihood ratio of at most 2.5, one at 0.001 at
    most 53: what turns a test into a weight without a constant fitted to any
    market.
    """
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-300, 1 / np.e)
    return 1.0 / (-np.e * p * np.log(p))


def evidence_weight(p: np.ndarray, *, cap: float) -> np.ndarray:
    """An evidence weight ``1 - 1 / B`` (B: :func:`bayes_factor_bound` of ``p``), at most ``cap``.

    The scorer reads a weight ``w`` as the likelihood ratio ``1 / (1 - w)``
    (:mod:`ringwatch.detectors.scoring`), so this is the bound itself in that reading.
    """
    return np.clip(1.0 - 1.0 / bayes_factor_bound(p), 0.0, cap)


def judged(k: np.ndarray, n: np.ndarray, null: np.ndarray, *,
           cap: float) -> tuple[np.ndarray, np.ndarray]:
    """Each count ``k`` of ``n`` tested against its ``null`` rate, all together.

    Returns the Benjamini-Hochberg q-values of the binomial tails over every
    count given, and the evidence weight each q-value is worth
    (:func:`evidence_weight`, at most ``cap``).
    """
    q = bh_qvalues(binomial_tail(k, n, null))
    return q, evidence_weight(q, cap=cap)
