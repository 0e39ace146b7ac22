"""Properties of the building blocks, on generated inputs: pairs, partitions, stable ids."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ringwatch.detectors.communities import groups
from ringwatch.detectors.ring_ids import assign_ids
from ringwatch.detectors.sharing import identifier_pairs

links_strategy = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 6), st.sampled_from(["device", "phone"])),
    min_size=1, max_size=60)


def _links(rows: list[tuple[int, int, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_no", "ident_no", "identifier_type"])
    frame["account"] = "creator:c" + frame["account_no"].astype(str)
    frame["ident"] = frame["identifier_type"] + ":i" + frame["ident_no"].astype(str)
    frame["sharing"] = frame.groupby("ident")["account"].transform("nunique")
    return frame


@settings(max_examples=150, deadline=None)
@given(links_strategy, st.integers(2, 8))
def test_pairs_are_every_combination_of_accounts_on_each_identifier(rows, cap) -> None:
    links = _links(rows)
    found = identifier_pairs(links, max_sharing={"device": cap, "phone": cap},
                             type_weights={"device": 0.6, "phone": 0.7})
    expected = set()
    for ident, users in links.groupby("ident")["account"]:
        accounts = sorted(set(users))
        if 2 <= len(accounts) <= cap:
            expected |= {(a, b, ident) for a, b in itertools.combinations(accounts, 2)}
    got = set(zip(found["a"], found["b"], found["ident"], strict=True))
    assert got == expected
    assert len(found) == len(got)  # no pair twice
    assert ((found["weight"] > 0) & (found["weight"] <= 0.7)).all()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.floats(0.1, 2.0)),
                min_size=1, max_size=120), st.integers(2, 12))
def test_groups_are_a_partition_of_the_touched_nodes(edges, max_size) -> None:
    edges = [(a, b, w) for a, b, w in edges if a != b]
    if not edges:
        return
    src, dst, weight = (np.array(x) for x in zip(*edges, strict=True))
    found = groups(31, src, dst, weight, max_size=max_size, resolution=0.1, objective="cpm")
    members = np.concatenate(found) if found else np.array([], dtype=int)
    assert len(members) == len(set(members.tolist()))  # disjoint
    assert set(members.tolist()) <= set(src.tolist()) | set(dst.tolist())  # touched nodes only
    assert all(len(g) >= 2 for g in found)


def _ring(accounts: list[str], score: float = 0.9) -> dict:
    return {"kind": "identity_ring", "score": score, "evidence": [], "metrics": {},
            "members": [{"type": "creator", "id": a} for a in accounts]}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from([f"c{i}" for i in range(15)]), min_size=2, max_size=6,
                         unique=True), min_size=1, max_size=6), st.randoms())
def test_ring_ids_do_not_depend_on_the_order_rings_come_in(ring_accounts, rnd) -> None:
    first = assign_ids([], [_ring(a) for a in ring_accounts], run_id="r1",
                       stamp="2026-01-01T00:00:00Z", jaccard=0.5)
    shuffled = list(ring_accounts)
    rnd.shuffle(shuffled)
    again = assign_ids([], [_ring(a) for a in shuffled], run_id="r1",
                       stamp="2026-01-01T00:00:00Z", jaccard=0.5)

    def ids(rings: list[dict]) -> dict[frozenset, str]:
        return {frozenset(m["id"] for m in r["members"]): r["ring_id"] for r in rings}

    assert ids(first) == ids(again)
