"""The benign profile: the plain market plus honest look-alikes at scale, drawn per seed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ringwatch.generator import (
    BENIGN_LOOKALIKES,
    TYPOLOGIES,
    GeneratedSnapshot,
    GeneratorConfig,
    generate_snapshot,
)
from ringwatch.generator.__main__ import main
from ringwatch.loaders import load_snapshot

TABLES = ("creators", "shops", "identity_links", "orders", "commissions", "affiliations",
          "allowlist", "labels", "lookalikes")
HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)


def read(snapshot: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(snapshot / f"{table}.csv", dtype=str)


def _generate(path: Path, seed: int) -> tuple[GeneratedSnapshot, dict[str, pd.DataFrame]]:
    made = generate_snapshot(path, GeneratorConfig(scale=0.5, seed=seed, profile="benign"))
    return made, {name: read(made.path, name) for name in TABLES}


@pytest.fixture(scope="module")
def benign(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratedSnapshot, dict]:
    return _generate(tmp_path_factory.mktemp("benign"), 3)


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratedSnapshot, dict]:
    return _generate(tmp_path_factory.mktemp("benign-other"), 4)


def groups(tables: dict, kind: str) -> list[pd.DataFrame]:
    looks = tables["lookalikes"]
    return [group for _, group in looks[looks["kind"] == kind].groupby("group_id")]


def ids(group: pd.DataFrame, account_type: str) -> set[str]:
    return set(group.loc[group["account_type"] == account_type, "account_id"])


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_the_benign_profile_writes_the_same_bytes_for_the_same_seed(tmp_path: Path) -> None:
    config = GeneratorConfig(scale=0.2, seed=11, profile="benign")
    generate_snapshot(tmp_path / "a", config)
    generate_snapshot(tmp_path / "b", config)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    generate_snapshot(tmp_path / "c", GeneratorConfig(scale=0.2, seed=12, profile="benign"))
    assert _files(tmp_path / "a")["lookalikes.csv"] != _files(tmp_path / "c")["lookalikes.csv"]


def test_benign_plants_the_plain_rings_unchanged(tmp_path: Path) -> None:
    generate_snapshot(tmp_path / "plain", GeneratorConfig(scale=0.2, seed=5))
    made = generate_snapshot(tmp_path / "benign", GeneratorConfig(scale=0.2, seed=5,
                                                                  profile="benign"))
    assert set(made.rings) == set(TYPOLOGIES) and all(n >= 1 for n in made.rings.values())
    assert ((tmp_path / "plain" / "labels.csv").read_bytes()
            == (tmp_path / "benign" / "labels.csv").read_bytes())


def test_every_benign_look_alike_kind_is_written(benign: tuple) -> None:
    made, tables = benign
    assert set(BENIGN_LOOKALIKES) <= set(made.lookalikes)
    for kind in BENIGN_LOOKALIKES:
        assert made.lookalikes[kind] >= 1, kind
        assert all(len(group) >= 2 for group in groups(tables, kind)), kind
    assert made.lookalikes == tables["lookalikes"].drop_duplicates("group_id")[
        "kind"].value_counts().to_dict()


def test_no_benign_look_alike_account_is_labelled(benign: tuple) -> None:
    _, tables = benign
    labelled = set(tables["labels"]["account_type"] + ":" + tables["labels"]["account_id"])
    looks = tables["lookalikes"]
    assert not set(looks["account_type"] + ":" + looks["account_id"]) & labelled


def test_creators_of_benign_groups_belong_to_one_group_each(benign: tuple) -> None:
    _, tables = benign
    looks = tables["lookalikes"]
    creators = looks[looks["kind"].isin(BENIGN_LOOKALIKES) & (looks["kind"] != "carrier_nat")
                     & (looks["account_type"] == "creator")]
    assert len(creators) >= 100
    assert creators["account_id"].is_unique


def test_the_benign_snapshot_loads_with_no_quarantined_row(benign: tuple) -> None:
    made, _ = benign
    result = load_snapshot(made.path)
    assert result.summary.reconciles and result.summary.quarantined == 0


def _campaign_rates(tables: dict) -> list[float]:
    """Per boosted campaign: its one rate, checked to be every creator's and above the category."""
    aff = tables["affiliations"].astype({"commission_rate": float})
    category = tables["shops"].set_index("shop_id")["category"]
    rates = []
    for group in groups(tables, "boosted_campaign"):
        [shop] = ids(group, "shop")
        at_shop = aff[(aff["shop_id"] == shop) & aff["creator_id"].isin(ids(group, "creator"))]
        assert len(at_shop) == len(ids(group, "creator")) >= 6
        assert at_shop["commission_rate"].nunique() == 1  # every creator on the boosted rate
        others = aff[aff["shop_id"].map(category) == category[shop]]["commission_rate"]
        assert at_shop["commission_rate"].iloc[0] >= 1.5 * others.median()
        rates.append(float(at_shop["commission_rate"].iloc[0]))
    return rates


def _refund_shares(tables: dict) -> list[float]:
    """Per high-refund category: the share of its shops' orders that were refunded."""
    orders = tables["orders"]
    shares = []
    for group in groups(tables, "high_refund_category"):
        theirs = orders[orders["shop_id"].isin(ids(group, "shop"))]
        assert len(ids(group, "shop")) >= 3 and len(ids(group, "creator")) >= 5
        shares.append(float((theirs["status"] == "refunded").mean()))
    return shares


def test_boosted_campaigns_and_high_refund_categories_look_like_collusion(benign: tuple) -> None:
    _, tables = benign
    assert len(_campaign_rates(tables)) >= 2
    shares = _refund_shares(tables)
    assert shares and all(0.2 <= share <= 0.7 for share in shares)
    orders, commissions = tables["orders"], tables["commissions"]
    group = groups(tables, "high_refund_category")[0]
    refunded = orders[orders["shop_id"].isin(ids(group, "shop")) & (orders["status"] == "refunded")
                      & orders["creator_id"].notna()]
    paid = commissions.merge(refunded, on="order_id", suffixes=("", "_order"))
    after = pd.to_datetime(paid["refunded_at"]) > pd.to_datetime(paid["created_at"]) + 15 * DAY
    assert after.mean() >= 0.15  # many come back after the commission was paid out


def test_parameters_are_drawn_per_seed(benign: tuple, other_seed: tuple) -> None:
    (_, tables), (_, other_tables) = benign, other_seed
    assert sorted(_campaign_rates(tables)) != sorted(_campaign_rates(other_tables))
    assert _refund_shares(tables) != _refund_shares(other_tables)
    sizes = {kind: sorted(len(g) for g in groups(tables, kind)) for kind in BENIGN_LOOKALIKES}
    other = {kind: sorted(len(g) for g in groups(other_tables, kind)) for kind in BENIGN_LOOKALIKES}
    differ = [kind for kind in BENIGN_LOOKALIKES if sizes[kind] != other[kind]]
    assert len(differ) >= len(BENIGN_LOOKALIKES) - 2, differ


def test_flash_sales_are_hundreds_of_orders_within_an_hour(benign: tuple) -> None:
    _, tables = benign
    orders = tables["orders"]
    for group in groups(tables, "flash_sale"):
        sale = orders[orders["shop_id"].isin(ids(group, "shop"))
                      & orders["creator_id"].isin(ids(group, "creator"))
                      & orders["buyer_id"].isin(ids(group, "buyer"))]
        placed = pd.to_datetime(sale["placed_at"])
        assert len(sale) >= 100 and 1 <= len(ids(group, "creator")) <= 3
        assert ((placed - placed.median()).abs() <= HOUR).sum() >= 100  # the livestream


def test_households_and_dorms_share_a_device_and_wifi_and_buy_nothing_from_each_other(benign: tuple) -> None:
    _, tables = benign
    links, orders = tables["identity_links"], tables["orders"]
    for kind, low, high in (("household", 3, 8), ("dorm", 10, 30)):
        for group in groups(tables, kind):
            mine = links[links["account_id"].isin(group["account_id"])]
            assert low <= len(group) <= high, kind
            ips = mine[mine["identifier_type"] == "ip"]["identifier"].value_counts()
            assert ips.iloc[0] == len(group), kind  # the home or dorm Wi-Fi
            devices = mine[mine["identifier_type"] == "device"]["identifier"].value_counts()
            assert devices.iloc[0] >= 2, kind
            inside = orders[orders["buyer_id"].isin(ids(group, "buyer"))
                            & orders["creator_id"].isin(ids(group, "creator"))]
            # An order now and then through a relative's link, never a habit (self-purchase).
            habit = inside.groupby(["buyer_id", "creator_id"]).size()
            assert (habit <= 2).all(), kind


def test_carrier_nat_and_agency_payouts_are_shared_identifiers_off_the_allowlist(
        benign: tuple) -> None:
    _, tables = benign
    links = tables["identity_links"]
    allowlisted = set(tables["allowlist"]["identifier"])
    accounts = links["account_id"].nunique()
    for kind, identifier_type, least in (("carrier_nat", "ip", 0.04 * accounts),
                                         ("agency_payout", "payout_account", 2)):
        for group in groups(tables, kind):
            mine = links[links["account_id"].isin(group["account_id"])
                         & (links["identifier_type"] == identifier_type)]
            shared = mine["identifier"].value_counts()
            assert shared.iloc[0] >= least, kind
            # (one plain carrier egress has an allowlist entry, long expired)
            assert kind == "carrier_nat" or shared.index[0] not in allowlisted
    creators = tables["creators"].set_index("creator_id")
    for group in groups(tables, "agency_payout"):
        assert creators.loc[list(ids(group, "creator")), "agency_id"].nunique() == 1


def test_brand_teams_register_together_and_promote_only_the_brand(benign: tuple) -> None:
    _, tables = benign
    creators = tables["creators"].set_index("creator_id")
    aff = tables["affiliations"]
    for group in groups(tables, "brand_team"):
        team = sorted(ids(group, "creator"))
        registered = pd.to_datetime(creators.loc[team, "registered_at"])
        assert 5 <= len(team) <= 20 and registered.max() - registered.min() <= 5 * DAY
        assert set(aff[aff["creator_id"].isin(team)]["shop_id"]) == ids(group, "shop")


def test_wholesale_and_single_shop_creators_concentrate_on_one_shop(benign: tuple) -> None:
    _, tables = benign
    orders, aff = tables["orders"], tables["affiliations"]
    for group in groups(tables, "wholesale_buyers"):
        bought = orders[orders["buyer_id"].isin(ids(group, "buyer"))
                        & orders["creator_id"].isin(ids(group, "creator"))
                        & orders["shop_id"].isin(ids(group, "shop"))]
        assert bought.groupby("buyer_id").size().min() >= 10
    for group in groups(tables, "single_shop_creators"):
        theirs = aff[aff["creator_id"].isin(ids(group, "creator"))]
        assert set(theirs["shop_id"]) == ids(group, "shop")


def test_onboarding_days_register_tens_of_creators_in_one_day(benign: tuple) -> None:
    _, tables = benign
    creators = tables["creators"].set_index("creator_id")
    for group in groups(tables, "onboarding_day"):
        registered = pd.to_datetime(creators.loc[sorted(ids(group, "creator")), "registered_at"])
        assert len(registered) >= 10 and registered.max() - registered.min() <= DAY


def test_command_line_takes_the_benign_profile(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--scale", "0.1", "--seed", "3",
                 "--profile", "benign"]) == 0
    printed = capsys.readouterr().out
    assert "look-alike boosted_campaign:" in printed and "planted collusion_ring:" in printed
