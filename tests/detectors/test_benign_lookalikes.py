"""The detection pipeline on a benign market: no honest look-alike group may be taken for a ring.

One benign snapshot (the plain market plus every kind of honest look-alike at
scale) is generated, loaded into a local store and run through
``run_detection`` once, and each look-alike kind is checked on it:

- *joined*: no ring scoring 0.5 or more holds two or more accounts of one group
  beyond what chance puts there. For a household or a campaign (a tiny share
  of the market's accounts) that simply means two accounts in one ring; a
  carrier NAT used by a fifth of all accounts is in every ring with a few
  honest members, so for it a ring must hold far more of its users than the
  group's share of the market (binomial tail below ``CHANCE``, Bonferroni over
  the group-ring pairs of the kind);
- *flagged at all*: at most one account, or a tenth, of any group is in any
  flagged ring (whatever its score). One account may be caught for reasons of
  its own (a buyer in a planted ring's pool); a tenth of a group means the
  group itself is being hit.

A brand's in-house team (registered in one week, promoting only the brand's
shops) was flagged as a lockstep ring until lockstep rings were weighed
against a seller's own team (``lockstep_rings.honest_explanation``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from ringwatch.detectors.evaluation import load_lookalikes, lookalike_holds, market_accounts
from ringwatch.detectors.pipeline import run_detection
from ringwatch.generator import BENIGN_LOOKALIKES, GeneratorConfig, generate_snapshot
from ringwatch.graph.local_store import LocalStore
from ringwatch.loaders import load_snapshot

ACCOUNT_TYPES = ("creator", "shop", "seller", "buyer")
#: Rings at or above this score go to a reviewer as probably fraud.
FLAGGED_SCORE = 0.5
#: Share of a group's accounts that may sit in flagged rings (at least one account).
FLAGGED_SHARE = 0.1


@pytest.fixture(scope="module")
def benign_run(tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[list[dict], pd.DataFrame, dict[str, int]]:
    """Rings found on one benign market, its look-alikes, and its accounts per type."""
    tmp = tmp_path_factory.mktemp("benign-run")
    snapshot = tmp / "snapshot"
    generate_snapshot(snapshot, GeneratorConfig(scale=0.5, seed=1, profile="benign"))
    store = LocalStore(tmp / "store")
    store.write_snapshot(load_snapshot(snapshot).snapshot)
    rings = run_detection(store, now=datetime(2026, 10, 1, tzinfo=UTC), run_id="benign").rings
    accounts = market_accounts(snapshot)
    return rings, load_lookalikes(snapshot / "lookalikes.csv"), accounts


def judged(rings: list[dict], lookalikes: pd.DataFrame, accounts: dict[str, int], kind: str
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The groups of ``kind`` joined by a flagged ring beyond chance, and those flagged beyond the share.

    Joined beyond chance is the evaluation's own rule (``lookalike_holds``, what
    the quality bench counts): per account type, a ring member is in a group as
    often as the group's accounts of that type are a share of the market's, with
    a Bonferroni bound over every (group, ring) pair.
    """
    flagged = [r for r in rings if r["score"] >= FLAGGED_SCORE]
    holds = lookalike_holds(flagged, lookalikes, accounts)
    holds = holds[holds["kind"] == kind]
    groups = lookalikes[lookalikes["kind"] == kind].assign(
        key=lambda f: f["account_type"] + ":" + f["account_id"]).drop_duplicates(
        ["group_id", "key"])
    flagged_keys = {f"{m['type']}:{m['id']}" for r in flagged for m in r["members"]
                    if m["type"] in ACCOUNT_TYPES}
    hit = groups[groups["key"].isin(flagged_keys)].groupby("group_id").size().rename("flagged")
    share = pd.concat([hit, groups.groupby("group_id").size().rename("group_size")], axis=1,
                      join="inner")
    over = share[share["flagged"] > (share["group_size"] * FLAGGED_SHARE).clip(lower=1)]
    return holds[holds["joined"]], over


@pytest.mark.parametrize("kind", BENIGN_LOOKALIKES)
def test_no_honest_look_alike_group_is_taken_for_a_ring(
        benign_run: tuple[list[dict], pd.DataFrame, dict[str, int]], kind: str) -> None:
    rings, lookalikes, accounts = benign_run
    assert rings  # the planted rings are found: the pipeline ran on a real market
    assert (lookalikes["kind"] == kind).any(), f"no {kind} group planted"
    joined, over = judged(rings, lookalikes, accounts, kind)
    assert joined.empty, f"{kind} groups joined by a ring:\n{joined}"
    assert over.empty, f"{kind} groups with too many accounts flagged:\n{over}"
