"""Baselines on tiny hand-built graphs whose answer is known."""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd
import pytest

from ringwatch.detectors.baselines import (
    BASELINES,
    account_pairs,
    connected_components_baseline,
    fraudar_baseline,
    fraudar_blocks,
    hub_capped_components_baseline,
    leiden_baseline,
    raw_links,
)
from ringwatch.detectors.context import MarketContext, build_context
from ringwatch.detectors.evaluation import evaluate
from ringwatch.graph.projections import PROJECTIONS, normalise

Link = tuple[str, str, str, str]


def market(links: list[Link]) -> MarketContext:
    """A context with the given (account_type, account_id, identifier_type, identifier) links."""
    projections = {name: normalise(pd.DataFrame(), name) for name in PROJECTIONS}
    projections["identity_links"] = normalise(pd.DataFrame(
        [(*link, 1, 1_700_000_000_000, 1_700_000_000_000) for link in links],
        columns=list(PROJECTIONS["identity_links"].columns)), "identity_links")
    return build_context(projections)


def accounts_of(rings: list[dict]) -> list[set[str]]:
    return [{f"{m['type']}:{m['id']}" for m in r["members"]} for r in rings]


def clique(prefix: str, n: int, identifiers: list[str], kind: str = "device") -> list[Link]:
    """``n`` creators all on each of ``identifiers``."""
    return [("creator", f"{prefix}{i}", kind, ident) for i in range(n) for ident in identifiers]


def hub(n_a: int = 4, n_b: int = 4, others: int = 20) -> list[Link]:
    """Two farms on their own devices, plus an IP shared by both farms and ``others`` strangers."""
    links = clique("a", n_a, ["da"]) + clique("b", n_b, ["db"])
    users = [f"a{i}" for i in range(n_a)] + [f"b{i}" for i in range(n_b)]
    users += [f"x{i}" for i in range(others)]
    return links + [("creator", user, "ip", "carrier") for user in users]


def test_account_pairs_are_every_pair_under_each_identifier_below_the_cap() -> None:
    links = raw_links(market(clique("a", 3, ["d1"]) + clique("b", 2, ["d2"])
                             + [("creator", "a0", "ip", "i1"), ("creator", "b0", "ip", "i1")]))
    pairs = account_pairs(links, max_sharing=3)
    assert sorted(zip(pairs["a"], pairs["b"], pairs["ident"], strict=True)) == [
        ("creator:a0", "creator:a1", "device:d1"), ("creator:a0", "creator:a2", "device:d1"),
        ("creator:a0", "creator:b0", "ip:i1"), ("creator:a1", "creator:a2", "device:d1"),
        ("creator:b0", "creator:b1", "device:d2")]
    assert set(account_pairs(links, max_sharing=2)["ident"]) == {"device:d2", "ip:i1"}


# --- connected components with a hub cap --------------------------------------------------------

def test_components_merge_through_a_hub_and_the_hub_cap_does_not() -> None:
    ctx = market(hub())
    assert len(connected_components_baseline(ctx)) == 1  # 28 accounts, one "ring"
    rings = hub_capped_components_baseline(ctx)
    assert sorted(accounts_of(rings), key=sorted) == [
        {f"creator:a{i}" for i in range(4)}, {f"creator:b{i}" for i in range(4)}]
    assert all(r["kind"] == "baseline_components_hub_cap" for r in rings)


def test_the_hub_cap_counts_accounts_not_links() -> None:
    # 8 farm accounts + 12 strangers = 20 on the IP: at the cap, so it still joins them.
    assert len(hub_capped_components_baseline(market(hub(others=12)))) == 1
    assert len(hub_capped_components_baseline(market(hub(others=13)))) == 2


# --- Leiden -----------------------------------------------------------------------------------------

def test_leiden_splits_two_dense_groups_joined_by_one_link_and_drops_small_parts() -> None:
    links = (clique("a", 6, ["d1", "p1", "e1"]) + clique("b", 6, ["d2", "p2", "e2"])
             + [("creator", "a0", "ip", "bridge"), ("creator", "b0", "ip", "bridge")]
             + [("creator", "y0", "device", "pair"), ("creator", "y1", "device", "pair")])
    rings = leiden_baseline(market(links), seed=1)
    assert sorted(accounts_of(rings), key=sorted) == [
        {f"creator:a{i}" for i in range(6)}, {f"creator:b{i}" for i in range(6)}]
    assert leiden_baseline(market(links), seed=1) == rings  # seeded
    # The components baseline keeps the bridge (one ring of 12) and the pair.
    assert sorted(len(g) for g in accounts_of(hub_capped_components_baseline(market(links)))) == [
        2, 12]


def test_leiden_leaves_igraphs_random_state_as_it_was() -> None:
    import random

    random.seed(5)
    expected = random.random()
    random.seed(5)
    leiden_baseline(market(clique("a", 6, ["d1"]) + clique("b", 6, ["d2"])
                           + [("creator", "a0", "ip", "x"), ("creator", "b0", "ip", "x")]))
    assert random.random() == expected


# --- FRAUDAR ------------------------------------------------------------------------------------------

def planted_block(seed: int = 0) -> tuple[list[Link], set[str]]:
    """Eight creators all on five identifiers, among 300 accounts sparsely sharing 200 identifiers."""
    rng = np.random.default_rng(seed)
    block = clique("f", 8, [f"s{j}" for j in range(5)])
    background = [("creator", f"h{i}", "device", f"n{j}")
                  for i in range(300) for j in rng.choice(200, 2, replace=False)]
    return block + background, {f"creator:f{i}" for i in range(8)}


def test_fraudar_finds_a_planted_dense_block_among_a_sparse_background() -> None:
    links, farm = planted_block()
    rings = fraudar_baseline(market(links), max_blocks=5)
    assert accounts_of(rings)[0] == farm
    assert rings[0]["kind"] == "baseline_fraudar"
    assert rings[0]["metrics"]["identifiers"] == 5
    assert rings[0]["metrics"]["density"] > 2 * max(r["metrics"]["density"] for r in rings[1:])


def test_fraudar_sees_through_camouflage_on_a_hub() -> None:
    # Every account, farm and background, also uses one hub: log weighting makes it weigh little.
    links, farm = planted_block(seed=1)
    accounts = {(t, a) for t, a, _, _ in links}
    links += [(t, a, "payout_account", "exchange") for t, a in sorted(accounts)]
    assert accounts_of(fraudar_baseline(market(links), max_blocks=1)) == [farm]


def naive_peel(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int,
               log_offset: float = 5.0) -> tuple[set[int], float]:
    """FRAUDAR's greedy peeling, written the slow and obvious way, as a reference."""
    degree = np.bincount(cols, minlength=n_cols)
    edges = {(int(r), n_rows + int(c)): 1.0 / np.log(degree[c] + log_offset)
             for r, c in zip(rows, cols, strict=True)}
    alive = {v for edge in edges for v in edge}

    def f(nodes: set[int]) -> float:
        return sum(w for (a, b), w in edges.items() if a in nodes and b in nodes)

    best, best_set = f(alive) / len(alive), set(alive)
    while len(alive) > 1:
        loss = {v: sum(w for (a, b), w in edges.items() if v in (a, b) and a in alive and b in alive)
                for v in alive}
        heapq.heapify(order := [(p, v) for v, p in loss.items()])
        alive.remove(order[0][1])
        if f(alive) / len(alive) > best:
            best, best_set = f(alive) / len(alive), set(alive)
    return best_set, best


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fraudar_peeling_matches_the_obvious_algorithm(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_rows, n_cols = 16, 12
    # A sparse random graph with a denser corner (rows 0-3 on columns 0-2, most links present).
    rows = np.concatenate([rng.integers(0, n_rows, 30), np.repeat(np.arange(4), 3)])
    cols = np.concatenate([rng.integers(0, n_cols, 30), np.tile(np.arange(3), 4)])
    keep = rng.random(len(rows)) < 0.9
    rows, cols = rows[keep], cols[keep]
    pair = np.unique(rows * n_cols + cols)
    rows, cols = pair // n_cols, pair % n_cols
    expected, density = naive_peel(rows, cols, n_rows, n_cols)
    block = fraudar_blocks(rows, cols, n_rows=n_rows, n_cols=n_cols, max_blocks=1)[0]
    assert block.density == pytest.approx(density)
    assert set(block.accounts.tolist()) == {v for v in expected if v < n_rows}


def test_fraudar_stops_when_no_block_stands_out() -> None:
    # Five pairs on five devices: every part is as dense as the whole, so no block stands out.
    links = [("creator", f"c{i}", "device", f"d{i // 2}") for i in range(10)]
    assert fraudar_blocks(np.arange(10), np.arange(10) // 2, n_rows=10, n_cols=5,
                          max_blocks=10) == []
    assert fraudar_baseline(market(links), min_accounts=2) == []


# --- every baseline ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", BASELINES, ids=lambda s: s.name)
def test_every_baseline_returns_rings_the_evaluation_scores(spec: object) -> None:
    links, farm = planted_block()
    rings = spec.find(market(links))  # type: ignore[attr-defined]
    for ring in rings:
        assert ring["kind"].startswith("baseline_") and ring["score"] == 1.0
        assert all(set(m) == {"type", "id"} for m in ring["members"])
    labels = pd.DataFrame([("L1", "creator", a.split(":")[1], "account_farm") for a in sorted(farm)],
                          columns=["ring_id", "account_type", "account_id", "typology"])
    assert evaluate(rings, labels).overall.planted_rings == 1
    assert spec.find(market([])) == []  # type: ignore[attr-defined]
