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

import math
from datetime import UTC, datetime

import pandas as pd
import pytest

from ringwatch.detectors.evaluation import load_lookalikes
from ringwatch.detectors.pipeline import run_detection
from ringwatch.generator import BENIGN_LOOKALIKES, GeneratorConfig, generate_snapshot
from ringwatch.graph.local_store import LocalStore
from ringwatch.loaders import load_snapshot

ACCOUNT_TYPES = ("creator", "shop", "seller", "buyer")
#: A ring holds a group's accounts beyond chance when so many would land in a ring of its
#: size by chance less than once in a hundred times, over all (group, ring) pairs looked at.
CHANCE = 0.01
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
    shops = pd.read_csv(snapshot / "shops.csv", dtype=str)
    links = pd.read_csv(snapshot / "identity_links.csv", dtype=str,
                        usecols=["account_type", "account_id"])
    buyers = set(pd.read_csv(snapshot / "orders.csv", dtype=str, usecols=["buyer_id"])["buyer_id"])
    buyers |= set(links.loc[links["account_type"] == "buyer", "account_id"])
    accounts = {"creator": len(pd.read_csv(snapshot / "creators.csv", dtype=str)),
                "shop": shops["shop_id"].nunique(), "seller": shops["seller_id"].nunique(),
                "buyer": len(buyers)}
    return rings, load_lookalikes(snapshot / "lookalikes.csv"), accounts


def ring_members(rings: list[dict]) -> pd.DataFrame:
    """One row per (ring, account member): ``ring``, ``key``, ``score``, ``size``."""
    rows = [(number, m["type"], f"{m['type']}:{m['id']}", ring["score"])
            for number, ring in enumerate(rings) for m in ring["members"]
            if m["type"] in ACCOUNT_TYPES]
    members = pd.DataFrame(rows, columns=["ring", "account_type", "key", "score"])
    return members.assign(size=members.groupby("ring")["key"].transform("size"))


def binomial_tail(k: int, n: int, p: float) -> float:
    """The chance of ``k`` or more successes in ``n`` draws of probability ``p``."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(int(k), int(n) + 1))


def judged(rings: list[dict], lookalikes: pd.DataFrame, accounts: dict[str, int], kind: str
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The groups of ``kind`` joined by a ring beyond chance, and those flagged beyond the share.

    Chance is per account type: a ring member is in a group as often as the group's
    accounts of that type are a share of the market's (a carrier NAT holds more of the
    creators, who log in from more IPs, than of the shops, which log in from none).
    """
    groups = lookalikes[lookalikes["kind"] == kind].assign(
        key=lambda f: f["account_type"] + ":" + f["account_id"]).drop_duplicates(
        ["group_id", "key"])
    size = groups.groupby("group_id").size().rename("group_size")
    members = ring_members(rings)
    hits = groups.merge(members.drop(columns="account_type"), on="key")
    held = hits[hits["score"] >= FLAGGED_SCORE].groupby(["group_id", "ring"]).size().rename(
        "held").reset_index()
    share = groups.groupby(["group_id", "account_type"]).size().unstack(fill_value=0) / pd.Series(
        accounts)
    mix = members.groupby(["ring", "account_type"]).size().unstack(fill_value=0)
    share = share.reindex(columns=mix.columns, fill_value=0.0)
    chance = [binomial_tail(row.held, int(mix.loc[row.ring].sum()),
                            float((mix.loc[row.ring] * share.loc[row.group_id]).sum()
                                  / mix.loc[row.ring].sum()))
              for row in held.itertuples()]
    joined = held.assign(chance=chance)
    # Bonferroni over the (group, ring) pairs looked at: a carrier NAT meets every ring.
    joined = joined[(joined["held"] >= 2).to_numpy()
                    & (joined["chance"] < CHANCE / max(len(held), 1)).to_numpy()]
    flagged = hits.drop_duplicates(["group_id", "key"]).groupby("group_id").size().rename(
        "flagged").reset_index().join(size, on="group_id")
    over = flagged[flagged["flagged"] > (flagged["group_size"] * FLAGGED_SHARE).clip(lower=1)]
    return joined, over


@pytest.mark.parametrize("kind", BENIGN_LOOKALIKES)
def test_no_honest_look_alike_group_is_taken_for_a_ring(
        benign_run: tuple[list[dict], pd.DataFrame, dict[str, int]], kind: str) -> None:
    rings, lookalikes, accounts = benign_run
    assert rings  # the planted rings are found: the pipeline ran on a real market
    assert (lookalikes["kind"] == kind).any(), f"no {kind} group planted"
    joined, over = judged(rings, lookalikes, accounts, kind)
    assert joined.empty, f"{kind} groups joined by a ring:\n{joined}"
    assert over.empty, f"{kind} groups with too many accounts flagged:\n{over}"
