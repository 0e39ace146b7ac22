"""Generator profiles: evasion tactics and their look-alikes, and sybil-style identity data."""

from __future__ import annotations

from pathlib import Path

import igraph as ig
import numpy as np
import pandas as pd
import pytest

from ringwatch.generator import (
    EVASION_TYPOLOGIES,
    SYBIL_TYPOLOGIES,
    TYPOLOGIES,
    GeneratedSnapshot,
    GeneratorConfig,
    GeneratorConfigError,
    generate_snapshot,
)
from ringwatch.generator.__main__ import main
from ringwatch.loaders import load_snapshot

TABLES = ("creators", "shops", "identity_links", "orders", "commissions", "affiliations",
          "violations", "allowlist", "labels", "lookalikes")
HOUR = pd.Timedelta(hours=1)


def read(snapshot: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(snapshot / f"{table}.csv", dtype=str)


@pytest.fixture(scope="module")
def evasion(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratedSnapshot, dict]:
    made = generate_snapshot(tmp_path_factory.mktemp("evasion"),
                             GeneratorConfig(scale=1.0, seed=5, profile="evasion"))
    return made, {name: read(made.path, name) for name in TABLES}


@pytest.fixture(scope="module")
def sybil(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratedSnapshot, dict]:
    made = generate_snapshot(tmp_path_factory.mktemp("sybil"),
                             GeneratorConfig(scale=1.0, seed=5, profile="sybil"))
    return made, {name: read(made.path, name) for name in TABLES}


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def ring_members(tables: dict, typology: str) -> dict[str, pd.DataFrame]:
    labels = tables["labels"]
    return {ring_id: part for ring_id, part in labels[labels["typology"] == typology].groupby(
        "ring_id")}


def shared_inside(tables: dict, members: pd.DataFrame, kind: str) -> pd.Series:
    """Accounts per identifier of ``kind`` used by the ring's members and nobody else."""
    links = tables["identity_links"]
    links = links[links["identifier_type"] == kind]
    inside = links["account_id"].isin(members["account_id"])
    outside = set(links.loc[~inside, "identifier"])
    mine = links[inside & ~links["identifier"].isin(outside)]
    return mine.groupby("identifier")["account_id"].nunique()


def connected(edges: pd.DataFrame) -> bool:
    """Whether accounts joined by shared identifiers (``account_id``, ``identifier``) form one component."""
    codes, _ = pd.factorize(pd.concat([edges["account_id"], edges["identifier"]]))
    half = len(edges)
    graph = ig.Graph(edges=np.column_stack([codes[:half], codes[half:]]))
    return len(graph.connected_components()) == 1


# --- every profile -------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["evasion", "sybil"])
def test_a_profile_writes_the_same_bytes_for_the_same_seed(tmp_path: Path, profile: str) -> None:
    config = GeneratorConfig(scale=0.2, seed=11, profile=profile)
    generate_snapshot(tmp_path / "a", config)
    generate_snapshot(tmp_path / "b", config)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    generate_snapshot(tmp_path / "c", GeneratorConfig(scale=0.2, seed=12, profile=profile))
    assert _files(tmp_path / "a")["identity_links.csv"] != _files(tmp_path / "c")[
        "identity_links.csv"]


def test_plain_is_the_default_profile(tmp_path: Path) -> None:
    generate_snapshot(tmp_path / "default", GeneratorConfig(scale=0.1, seed=4))
    generate_snapshot(tmp_path / "plain", GeneratorConfig(scale=0.1, seed=4, profile="plain"))
    assert _files(tmp_path / "default") == _files(tmp_path / "plain")


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(GeneratorConfigError, match="profile"):
        GeneratorConfig(profile="adversarial")


@pytest.mark.parametrize("which", ["evasion", "sybil"])
def test_every_labelled_account_exists_in_the_snapshot(which: str, request: pytest.FixtureRequest
                                                       ) -> None:
    _, tables = request.getfixturevalue(which)
    known = {
        "creator": set(tables["creators"]["creator_id"]),
        "shop": set(tables["shops"]["shop_id"]),
        "seller": set(tables["shops"]["seller_id"]),
        "buyer": set(tables["orders"]["buyer_id"]) | set(tables["identity_links"]["account_id"]),
    }
    for frame in (tables["labels"], tables["lookalikes"]):
        for kind, members in frame.groupby("account_type")["account_id"]:
            assert members.isin(known[kind]).all(), kind


@pytest.mark.parametrize("which", ["evasion", "sybil"])
def test_no_look_alike_account_is_labelled(which: str, request: pytest.FixtureRequest) -> None:
    made, tables = request.getfixturevalue(which)
    labelled = set(tables["labels"]["account_type"] + ":" + tables["labels"]["account_id"])
    looks = tables["lookalikes"]
    assert list(looks.columns) == ["group_id", "account_type", "account_id", "kind"]
    assert not (set(looks["account_type"] + ":" + looks["account_id"]) & labelled)
    assert made.lookalikes == looks.drop_duplicates("group_id")["kind"].value_counts().to_dict()


# --- evasion --------------------------------------------------------------------------------

def test_evasion_plants_every_tactic_beside_the_plain_typologies(evasion: tuple) -> None:
    made, tables = evasion
    assert set(made.rings) == set(TYPOLOGIES) | set(EVASION_TYPOLOGIES)
    planted = tables["labels"].groupby("typology")["ring_id"].nunique().to_dict()
    assert planted == made.rings
    assert all(count >= 1 for count in planted.values())


def test_agency_farms_declare_one_agency_and_share_payouts_in_small_groups(evasion: tuple) -> None:
    _, tables = evasion
    creators = tables["creators"].set_index("creator_id")
    allowlisted = set(tables["allowlist"]["identifier"])
    for ring_id, ring in ring_members(tables, "agency_farm").items():
        members = ring[ring["account_type"] == "creator"]
        agencies = creators.loc[members["account_id"], "agency_id"]
        assert agencies.notna().all() and agencies.nunique() == 1, ring_id
        payouts = shared_inside(tables, members, "payout_account")
        assert payouts.between(2, 3).all(), ring_id
        assert not set(payouts.index) & allowlisted
        registered = pd.to_datetime(creators.loc[members["account_id"], "registered_at"])
        assert registered.max() - registered.min() <= 12 * HOUR, ring_id


def test_device_chains_share_each_device_between_two_neighbours_only(evasion: tuple) -> None:
    _, tables = evasion
    links = tables["identity_links"]
    for ring_id, ring in ring_members(tables, "device_chain_farm").items():
        devices = links[(links["identifier_type"] == "device")
                        & links["account_id"].isin(ring["account_id"])]
        users = links[links["identifier"].isin(devices["identifier"])].groupby(
            "identifier")["account_id"].nunique()
        chain = users[users > 1]
        assert (chain == 2).all(), ring_id  # no device is shared by three
        assert len(chain) >= len(ring) - 1, ring_id
        assert connected(devices[devices["identifier"].isin(chain.index)]), ring_id


def test_split_payouts_are_small_and_overlap_along_the_farm(evasion: tuple) -> None:
    _, tables = evasion
    links = tables["identity_links"]
    for ring_id, ring in ring_members(tables, "split_payout_farm").items():
        payouts = shared_inside(tables, ring, "payout_account")
        small = payouts[payouts.between(2, 3)]
        assert len(small) >= len(ring) // 2, ring_id
        edges = links[links["identifier"].isin(small.index) & links["account_id"].isin(
            ring["account_id"])]
        assert set(edges["account_id"]) == set(ring["account_id"]), ring_id
        assert connected(edges), ring_id


def test_burst_farms_register_and_set_up_identifiers_within_hours(evasion: tuple) -> None:
    _, tables = evasion
    creators = tables["creators"].set_index("creator_id")
    links = tables["identity_links"]
    for ring_id, ring in ring_members(tables, "burst_farm").items():
        registered = pd.to_datetime(creators.loc[ring["account_id"], "registered_at"])
        assert registered.max() - registered.min() <= 12 * HOUR, ring_id
        personal = links[links["account_id"].isin(ring["account_id"])
                         & links["identifier_type"].isin(["device", "phone", "email"])]
        # Each member's own device, phone and email were set up in the burst's hours (an
        # agency's studio phone, say, may come later).
        first = pd.to_datetime(personal["first_seen"]).groupby(
            [personal["account_id"], personal["identifier_type"]]).min()
        assert first.unstack().notna().all().all(), ring_id
        assert first.max() - registered.min() <= 24 * HOUR, ring_id


def test_thin_collusion_spreads_few_orders_over_many_pairs(evasion: tuple) -> None:
    _, tables = evasion
    orders = tables["orders"]
    for ring_id, ring in ring_members(tables, "thin_collusion").items():
        creators = set(ring.loc[ring["account_type"] == "creator", "account_id"])
        shops = set(ring.loc[ring["account_type"] == "shop", "account_id"])
        buyers = set(ring.loc[ring["account_type"] == "buyer", "account_id"])
        fake = orders[orders["creator_id"].isin(creators) & orders["shop_id"].isin(shops)]
        per_pair = fake.groupby(["creator_id", "shop_id"]).size()
        assert per_pair.max() <= 3, ring_id
        assert len(per_pair) >= 0.6 * len(creators) * len(shops) - len(creators) - len(shops)
        assert fake["buyer_id"].isin(buyers).all(), ring_id
        # The block is dense as a whole: most of the pool buys through several creators.
        reach = fake.groupby("buyer_id")["creator_id"].nunique()
        assert (reach >= 2).mean() >= 0.5, ring_id


def test_camouflaged_collusion_does_more_ordinary_business_than_fake(evasion: tuple) -> None:
    _, tables = evasion
    orders = tables["orders"]
    for ring_id, ring in ring_members(tables, "camouflaged_collusion").items():
        creators = set(ring.loc[ring["account_type"] == "creator", "account_id"])
        shops = set(ring.loc[ring["account_type"] == "shop", "account_id"])
        buyers = set(ring.loc[ring["account_type"] == "buyer", "account_id"])
        theirs = orders[orders["creator_id"].isin(creators)]
        fake = theirs["shop_id"].isin(shops)
        assert (~fake).sum() >= fake.sum(), ring_id
        assert (orders["buyer_id"].isin(buyers) & ~orders["shop_id"].isin(shops)).any(), ring_id


def test_evasion_look_alikes_are_as_hard_as_the_tactics(evasion: tuple) -> None:
    made, tables = evasion
    looks, links = tables["lookalikes"], tables["identity_links"]
    assert {"studio_agency", "onboarding_burst", "payout_hub", "ip_hub", "household"} <= set(
        made.lookalikes)
    creators = tables["creators"].set_index("creator_id")
    allowlisted = tables["allowlist"].set_index("identifier")
    for _, group in looks[looks["kind"] == "studio_agency"].groupby("group_id"):
        mine = links[links["account_id"].isin(group["account_id"])]
        payouts = mine[mine["identifier_type"] == "payout_account"]["identifier"].value_counts()
        assert payouts.index[0] in allowlisted.index  # the central payout, allowlisted
        devices = mine[mine["identifier_type"] == "device"]["identifier"].value_counts()
        assert devices.iloc[0] >= 3  # studio kit used by many members
    for _, group in looks[looks["kind"] == "onboarding_burst"].groupby("group_id"):
        registered = pd.to_datetime(creators.loc[group["account_id"], "registered_at"])
        assert len(group) >= 10 and registered.max() - registered.min() <= 24 * HOUR
    for kind in ("payout_hub", "ip_hub"):
        hub = looks[looks["kind"] == kind]
        shared = links[links["account_id"].isin(hub["account_id"])]["identifier"].value_counts()
        assert shared.iloc[0] >= 1000 and shared.index[0] not in allowlisted.index
    for _, group in looks[looks["kind"] == "household"].groupby("group_id"):
        mine = links[links["account_id"].isin(group["account_id"])
                     & (links["identifier_type"] == "device")]
        assert 2 <= len(group) <= 4
        assert mine["identifier"].value_counts().iloc[0] == len(group)  # one home device


def test_plain_look_alikes_are_recorded_too(tmp_path: Path) -> None:
    made = generate_snapshot(tmp_path, GeneratorConfig(scale=0.5, seed=2))
    assert {"agency", "family", "payment_aggregator", "carrier_nat", "hit_shop",
            "premium_creator"} <= set(made.lookalikes)
    looks, labels = read(tmp_path, "lookalikes"), read(tmp_path, "labels")
    assert not set(looks["account_id"]) & set(labels["account_id"])


# --- sybil ----------------------------------------------------------------------------------

def test_sybil_profile_is_identity_links_only(sybil: tuple) -> None:
    made, tables = sybil
    for name in ("orders", "commissions", "affiliations", "violations", "allowlist", "shops"):
        assert made.rows[name] == 0 and len(tables[name]) == 0, name
    assert list(tables["orders"].columns)[:3] == ["order_id", "buyer_id", "shop_id"]
    links = tables["identity_links"]
    assert set(links["account_type"]) == {"creator"}
    assert set(links["identifier_type"]) == {"payout_account"}
    assert links["account_id"].isin(tables["creators"]["creator_id"]).all()
    assert 80_000 <= sum(made.rows.values()) <= 125_000  # scale 1 is about 100,000 rows


def test_sybil_groups_are_heavy_tailed(sybil: tuple) -> None:
    made, tables = sybil
    sizes = tables["labels"].groupby("ring_id").size()
    assert set(tables["labels"]["typology"]) == set(SYBIL_TYPOLOGIES)
    assert set(made.rings) == set(SYBIL_TYPOLOGIES)
    assert sizes.min() >= 5 and sizes.max() >= 200 and sizes.max() <= 1000
    assert sizes.median() <= 15  # most groups are small; a few are huge


def test_sybil_groups_are_stars_and_chains(sybil: tuple) -> None:
    _, tables = sybil
    links = tables["identity_links"]
    labels = tables["labels"]
    use = links.groupby("identifier")["account_id"].nunique()
    for typology, check in (("sybil_star", lambda inside: inside.max() >= 5),
                            ("sybil_chain", lambda inside: inside.max() == 2)):
        ring_id, ring = next(iter(labels[labels["typology"] == typology].groupby("ring_id")))
        mine = links[links["account_id"].isin(ring["account_id"])]
        inside = mine.groupby("identifier")["account_id"].nunique()
        inside = inside[(inside >= 2) & (use[inside.index] == inside)]  # not exchanges
        assert check(inside), (typology, ring_id)
        assert connected(mine[mine["identifier"].isin(inside.index)]), (typology, ring_id)


def test_sybil_exchanges_are_hubs_of_thousands_and_friends_are_small(sybil: tuple) -> None:
    made, tables = sybil
    looks, links = tables["lookalikes"], tables["identity_links"]
    assert set(made.lookalikes) == {"exchange", "friends"}
    use = links.groupby("identifier")["account_id"].nunique()
    assert use.max() >= 2000
    hub_users = set(links.loc[links["identifier"] == use.idxmax(), "account_id"])
    assert hub_users & set(tables["labels"]["account_id"])  # a few sybils use the exchange too
    friends = looks[looks["kind"] == "friends"].groupby("group_id").size()
    assert friends.between(2, 4).all()


def test_a_sybil_snapshot_loads(sybil: tuple) -> None:
    made, _ = sybil
    result = load_snapshot(made.path)
    assert result.summary.reconciles and result.summary.quarantined == 0


def test_command_line_takes_a_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--scale", "0.05", "--seed", "3",
                 "--profile", "sybil"]) == 0
    printed = capsys.readouterr().out
    assert "planted sybil_star:" in printed and "look-alike friends:" in printed
    assert (tmp_path / "lookalikes.csv").exists()
