"""One household is no ring: a closed bundle of a home's few accounts scores what such bundles mean here.

Three accounts on one device, one email and one joint payout account that
nobody else uses are a family as much as a three-phone farm; nothing in the
identifiers tells them apart. Such a ring (``Finding.one_household``) with
nothing else against it scores at most the share of the snapshot's
household-shaped groups that also trade abnormally or act in step, smoothed
(``scoring.HouseholdPrior``); evidence of another kind (self-purchase, pooled
refunds) lifts the cap. A farm that rotates identifiers, or a phone used
outside the group, is not a household's trace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from ringwatch.detectors.evaluation import correct_rings, load_labels, load_lookalikes
from ringwatch.detectors.identity_rings import _one_household
from ringwatch.detectors.pipeline import run_detection
from ringwatch.detectors.rings import Evidence, Finding, Member
from ringwatch.detectors.scoring import HouseholdPrior, explained_by_household, score
from ringwatch.generator import GeneratorConfig, generate_snapshot
from ringwatch.graph.local_store import LocalStore
from ringwatch.loaders import load_snapshot

PAYOUT = Evidence("shared_payout_account", "one joint payout account", 0.875)
DEVICE = Evidence("shared_device", "one home device", 0.525)
STAKE = Evidence("commission_at_stake", "money at stake", 0.2)
SELF = Evidence("self_purchase", "bought through their own links", 0.9)
_EMPTY = pd.DataFrame({"ident": pd.Series([], dtype=object)})


def _home(*evidence: Evidence, one_household: bool = True) -> Finding:
    members = frozenset(Member("creator", c) for c in ("c1", "c2", "c3"))
    return Finding("identity_ring", members, list(evidence), one_household=one_household)


def _per_ident(rows: list[tuple[int, str, str, list[str]]]) -> pd.Series:
    index = pd.MultiIndex.from_tuples([r[:3] for r in rows],
                                      names=["group", "ident", "identifier_type"])
    return pd.Series([r[3] for r in rows], index=index)


def test_a_closed_bundle_of_a_few_accounts_is_a_households_trace() -> None:
    home = ["creator:c1", "creator:c2", "creator:c3"]
    per_ident = _per_ident([
        (0, "payout_account:p1", "payout_account", home),
        (0, "device:d1", "device", home),
        # group 1: the same shape, but its phone is used outside the group too
        (1, "phone:f1", "phone", ["creator:c4", "creator:c5", "creator:c6"]),
        # group 2: a farm rotating devices, each tying a different pair
        (2, "device:d2", "device", ["creator:c7", "creator:c8"]),
        (2, "device:d3", "device", ["creator:c8", "creator:c9"]),
        # group 3: one closed bundle, but five accounts: more than a home
        (3, "device:d4", "device", [f"creator:k{i}" for i in range(5)]),
    ])
    sharing = pd.Series({"payout_account:p1": 3, "device:d1": 3, "phone:f1": 9, "device:d2": 2,
                         "device:d3": 2, "device:d4": 5})
    assert _one_household(per_ident, sharing, _EMPTY, 4) == {0}
    assert _one_household(per_ident, sharing, _EMPTY, 5) == {0, 3}
    in_step = pd.DataFrame({"ident": ["device:d1"]})
    assert _one_household(per_ident, sharing, in_step, 4) == set()


def test_the_prior_counts_household_shaped_groups_and_those_with_more_against_them() -> None:
    prior = HouseholdPrior.of([_home(PAYOUT, DEVICE), _home(PAYOUT, STAKE), _home(PAYOUT, SELF),
                               _home(PAYOUT, one_household=False)])
    assert prior == HouseholdPrior(groups=3, corroborated=1)
    assert prior.cap(0.6) == pytest.approx(2 / 5)
    assert HouseholdPrior(groups=8, corroborated=0).cap(0.6) == pytest.approx(0.1)


def test_other_evidence_lifts_the_cap_and_money_at_stake_does_not() -> None:
    assert explained_by_household(_home(), [PAYOUT, DEVICE, STAKE])
    assert not explained_by_household(_home(), [PAYOUT, DEVICE, SELF])
    assert not explained_by_household(_home(one_household=False), [PAYOUT, DEVICE])
    assert score([PAYOUT, DEVICE], cap=0.25) == 0.25
    assert score([PAYOUT, DEVICE]) > 0.9


def test_households_of_an_evasion_market_are_not_flagged_and_its_farms_are(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    generate_snapshot(snapshot, GeneratorConfig(scale=0.25, seed=1, profile="evasion"))
    store = LocalStore(tmp_path / "store")
    store.write_snapshot(load_snapshot(snapshot).snapshot)
    rings = run_detection(store, now=datetime(2026, 10, 1, tzinfo=UTC), run_id="homes").rings
    correct = correct_rings(rings, load_labels(snapshot / "labels.csv"))
    homes = [(r, ok) for r, ok in zip(rings, correct, strict=True)
             if any(e["code"] == "market_prior" and "household" in e["text"] for e in r["evidence"])]
    assert homes, "the market's households are found sharing one closed bundle"
    assert all(not ok and r["score"] < 0.5 for r, ok in homes)
    lookalikes = load_lookalikes(snapshot / "lookalikes.csv")
    household_creators = set(lookalikes.loc[(lookalikes["kind"] == "household")
                                            & (lookalikes["account_type"] == "creator"),
                                            "account_id"])
    assert all({m["id"] for m in r["members"] if m["type"] == "creator"} <= household_creators
               for r, _ in homes)
    identity = [(r, ok) for r, ok in zip(rings, correct, strict=True) if r["kind"] == "identity_ring"]
    assert sum(ok and r["score"] >= 0.5 for r, ok in identity) >= 5, "the farms stay flagged"
