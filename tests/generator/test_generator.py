"""The synthetic marketplace generator: format, determinism, planted rings, look-alikes, scale."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ringwatch.generator import (
    TYPOLOGIES,
    GeneratedSnapshot,
    GeneratorConfig,
    GeneratorConfigError,
    generate_snapshot,
)
from ringwatch.generator.__main__ import main

#: docs/contract.md section 1: every column of every table, in order.
CONTRACT_COLUMNS = {
    "creators": ["creator_id", "registered_at", "region", "agency_id"],
    "shops": ["shop_id", "seller_id", "registered_at", "region", "category"],
    "identity_links": ["account_type", "account_id", "identifier_type", "identifier",
                       "first_seen", "last_seen", "events"],
    "orders": ["order_id", "buyer_id", "shop_id", "creator_id", "amount", "currency",
               "placed_at", "status", "refunded_at"],
    "commissions": ["commission_id", "order_id", "creator_id", "shop_id", "amount", "rate",
                    "created_at", "status"],
    "affiliations": ["creator_id", "shop_id", "commission_rate", "started_at"],
    "violations": ["creator_id", "policy", "severity", "occurred_at"],
    "allowlist": ["identifier_type", "identifier", "owner", "reason", "expires_at"],
}
TIMESTAMPS = {
    "creators": ["registered_at"], "shops": ["registered_at"],
    "identity_links": ["first_seen", "last_seen"], "orders": ["placed_at", "refunded_at"],
    "commissions": ["created_at"], "affiliations": ["started_at"],
    "violations": ["occurred_at"], "allowlist": ["expires_at"],
}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
STRONG = ("device", "payout_account", "phone")


def read(snapshot: Path, table: str) -> pd.DataFrame:
    """One table as strings (empty cells as NaN), the way a loader first sees it."""
    return pd.read_csv(snapshot / f"{table}.csv", dtype=str)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> GeneratedSnapshot:
    """A default snapshot at scale 1: every typology and every look-alike planted."""
    return generate_snapshot(tmp_path_factory.mktemp("scale1"), GeneratorConfig(scale=1.0))


@pytest.fixture(scope="module")
def tables(made: GeneratedSnapshot) -> dict[str, pd.DataFrame]:
    return {name: read(made.path, name) for name in [*CONTRACT_COLUMNS, "labels"]}


@pytest.fixture(scope="module")
def small_and_large(tmp_path_factory: pytest.TempPathFactory
                    ) -> tuple[GeneratedSnapshot, GeneratedSnapshot]:
    return (generate_snapshot(tmp_path_factory.mktemp("half"), GeneratorConfig(scale=0.5)),
            generate_snapshot(tmp_path_factory.mktemp("double"), GeneratorConfig(scale=2.0)))


# --- format -----------------------------------------------------------------------------

def test_every_table_has_the_contract_columns(tables: dict[str, pd.DataFrame]) -> None:
    for name, columns in CONTRACT_COLUMNS.items():
        assert list(tables[name].columns) == columns, name
    assert list(tables["labels"].columns) == ["ring_id", "account_type", "account_id",
                                              "typology"]


def test_reported_rows_match_the_files(made: GeneratedSnapshot,
                                       tables: dict[str, pd.DataFrame]) -> None:
    assert made.rows == {name: len(tables[name]) for name in CONTRACT_COLUMNS}
    assert 80_000 <= sum(made.rows.values()) <= 125_000  # scale 1 is about 100,000 rows


def test_timestamps_are_iso_utc_strings(tables: dict[str, pd.DataFrame]) -> None:
    for name, columns in TIMESTAMPS.items():
        for column in columns:
            values = tables[name][column].dropna()
            assert values.str.fullmatch(ISO_UTC).all(), (name, column)


def test_values_stay_in_their_domains(tables: dict[str, pd.DataFrame]) -> None:
    links, orders = tables["identity_links"], tables["orders"]
    commissions = tables["commissions"]
    assert set(links["account_type"]) == {"creator", "seller", "buyer"}
    assert set(links["identifier_type"]) == {"device", "ip", "payout_account", "phone", "email"}
    assert (links["events"].astype(int) >= 1).all()
    assert (links["first_seen"] <= links["last_seen"]).all()
    assert set(orders["status"]) == {"completed", "refunded", "cancelled"}
    assert (orders["amount"].astype(float) >= 0).all()
    refunded = orders["status"] == "refunded"
    assert orders.loc[refunded, "refunded_at"].notna().all()
    assert orders.loc[~refunded, "refunded_at"].isna().all()
    assert (orders.loc[refunded, "refunded_at"] > orders.loc[refunded, "placed_at"]).all()
    assert set(commissions["status"]) == {"pending", "paid", "reversed"}
    rate = commissions["rate"].astype(float)
    assert ((rate > 0) & (rate < 1)).all()
    assert set(tables["violations"]["severity"]) <= {"low", "medium", "high"}


def test_identifiers_are_opaque_with_one_shape_per_entity(tables: dict[str, pd.DataFrame]
                                                         ) -> None:
    shapes = {("creators", "creator_id"): "c_", ("shops", "shop_id"): "s_",
              ("shops", "seller_id"): "sel_", ("orders", "buyer_id"): "b_",
              ("orders", "order_id"): "o_", ("commissions", "commission_id"): "cm_",
              ("creators", "agency_id"): "ag_"}
    for (name, column), prefix in shapes.items():
        values = tables[name][column].dropna()
        assert values.str.fullmatch(prefix + r"[0-9a-z]{10}").all(), (name, column)
    prefixes = {"device": "d_", "ip": "ip_", "payout_account": "pa_", "phone": "ph_",
                "email": "em_"}
    links = tables["identity_links"]
    for kind, prefix in prefixes.items():
        assert links.loc[links["identifier_type"] == kind, "identifier"].str.fullmatch(
            prefix + r"[0-9a-z]{10}").all(), kind


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet"])
def test_other_formats_hold_the_same_tables(tmp_path: Path, fmt: str) -> None:
    generate_snapshot(tmp_path / "csv", GeneratorConfig(scale=0.05, seed=3))
    generate_snapshot(tmp_path / fmt, GeneratorConfig(scale=0.05, seed=3, fmt=fmt))
    for name in CONTRACT_COLUMNS:
        plain = read(tmp_path / "csv", name)
        if fmt == "parquet":
            other = pd.read_parquet(tmp_path / fmt / f"{name}.parquet")
        else:
            other = pd.read_csv(tmp_path / fmt / f"{name}.csv.gz", dtype=str)
        assert list(other.columns) == list(plain.columns), name
        for column in plain.columns:
            if pd.api.types.is_numeric_dtype(other[column]):
                assert other[column].astype(float).tolist() == \
                    plain[column].astype(float).tolist(), (name, column)
            else:
                assert other[column].fillna("").tolist() == plain[column].fillna("").tolist(), \
                    (name, column)
    assert (tmp_path / fmt / "labels.csv").exists()


# --- determinism ------------------------------------------------------------------------

def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_the_same_seed_writes_the_same_bytes(tmp_path: Path, fmt: str) -> None:
    config = GeneratorConfig(scale=0.2, seed=11, fmt=fmt)
    generate_snapshot(tmp_path / "a", config)
    generate_snapshot(tmp_path / "b", config)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_another_seed_writes_another_marketplace(tmp_path: Path) -> None:
    generate_snapshot(tmp_path / "a", GeneratorConfig(scale=0.2, seed=11))
    generate_snapshot(tmp_path / "b", GeneratorConfig(scale=0.2, seed=12))
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys()
    assert all(a[name] != b[name] for name in a)


def test_switching_format_leaves_no_stale_table(tmp_path: Path) -> None:
    generate_snapshot(tmp_path, GeneratorConfig(scale=0.05))
    generate_snapshot(tmp_path, GeneratorConfig(scale=0.05, fmt="parquet"))
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == ["labels.csv",
                                                              "lookalikes.csv"]  # always CSV
    assert len(list(tmp_path.glob("*.parquet"))) == len(CONTRACT_COLUMNS)


# --- integrity --------------------------------------------------------------------------

def test_references_resolve(tables: dict[str, pd.DataFrame]) -> None:
    creators = set(tables["creators"]["creator_id"])
    shops = set(tables["shops"]["shop_id"])
    orders, commissions = tables["orders"], tables["commissions"]
    assert tables["creators"]["creator_id"].is_unique
    assert tables["shops"]["shop_id"].is_unique
    assert orders["order_id"].is_unique
    assert commissions["commission_id"].is_unique
    assert orders["shop_id"].isin(shops).all()
    assert orders["creator_id"].dropna().isin(creators).all()
    assert commissions["order_id"].isin(orders["order_id"]).all()
    assert commissions["creator_id"].isin(creators).all()
    assert tables["affiliations"]["creator_id"].isin(creators).all()
    assert tables["affiliations"]["shop_id"].isin(shops).all()
    assert tables["violations"]["creator_id"].isin(creators).all()
    sellers = set(tables["shops"]["seller_id"])
    buyers = set(orders["buyer_id"])
    links = tables["identity_links"]
    for kind, known in (("creator", creators), ("seller", sellers)):
        assert links.loc[links["account_type"] == kind, "account_id"].isin(known).all()
    assert links.loc[links["account_type"] == "buyer", "account_id"].str.startswith("b_").all()
    assert buyers <= set(links.loc[links["account_type"] == "buyer", "account_id"])


def test_identity_links_are_unique_per_account_and_identifier(
        tables: dict[str, pd.DataFrame]) -> None:
    key = ["account_type", "account_id", "identifier_type", "identifier"]
    assert not tables["identity_links"].duplicated(key).any()


def test_commissions_follow_their_orders(tables: dict[str, pd.DataFrame]) -> None:
    merged = tables["commissions"].merge(tables["orders"], on="order_id", suffixes=("", "_o"))
    assert (merged["creator_id"] == merged["creator_id_o"]).all()
    assert (merged["shop_id"] == merged["shop_id_o"]).all()
    assert (merged["created_at"] >= merged["placed_at"]).all()
    assert (merged["status_o"] != "cancelled").all()
    expected = (merged["rate"].astype(float) * merged["amount_o"].astype(float)).round(2)
    assert (expected - merged["amount"].astype(float)).abs().max() < 0.011
    deals = tables["affiliations"].set_index(["creator_id", "shop_id"])["commission_rate"]
    rates = deals.reindex(pd.MultiIndex.from_frame(merged[["creator_id", "shop_id"]]))
    assert (rates.to_numpy() == merged["rate"].to_numpy()).all()


def test_attributed_orders_come_after_the_affiliation(tables: dict[str, pd.DataFrame]) -> None:
    attributed = tables["orders"].dropna(subset=["creator_id"]).merge(
        tables["affiliations"], on=["creator_id", "shop_id"], how="left")
    assert attributed["started_at"].notna().all()
    assert (attributed["placed_at"] >= attributed["started_at"]).all()


def test_refund_rates_are_normal_for_most_orders(tables: dict[str, pd.DataFrame]) -> None:
    status = tables["orders"]["status"].value_counts(normalize=True)
    assert 0.03 <= status["refunded"] <= 0.10
    assert status["cancelled"] < 0.05


# --- planted rings ----------------------------------------------------------------------

def test_every_labelled_account_is_in_the_tables(tables: dict[str, pd.DataFrame]) -> None:
    known = {
        "creator": set(tables["creators"]["creator_id"]),
        "shop": set(tables["shops"]["shop_id"]),
        "seller": set(tables["shops"]["seller_id"]),
        "buyer": set(tables["orders"]["buyer_id"])
        | set(tables["identity_links"]["account_id"]),
    }
    labels = tables["labels"]
    assert labels["ring_id"].str.fullmatch(r"L-\d{4,}").all()
    assert set(labels["typology"]) == set(TYPOLOGIES)
    for kind, members in labels.groupby("account_type")["account_id"]:
        assert members.isin(known[kind]).all(), kind


@pytest.mark.parametrize("which", [0, 1])
def test_every_typology_is_planted_at_small_and_large_scale(
        small_and_large: tuple[GeneratedSnapshot, GeneratedSnapshot], which: int) -> None:
    made = small_and_large[which]
    assert set(made.rings) == set(TYPOLOGIES)
    assert all(count >= 1 for count in made.rings.values())
    labels = read(made.path, "labels")
    planted = labels.groupby("typology")["ring_id"].nunique()
    assert planted.to_dict() == made.rings


def test_rings_scale_with_the_marketplace(
        made: GeneratedSnapshot,
        small_and_large: tuple[GeneratedSnapshot, GeneratedSnapshot]) -> None:
    half, double = small_and_large
    for typology in TYPOLOGIES:
        assert half.rings[typology] < made.rings[typology] < double.rings[typology]


def test_farms_share_strong_identifiers(tables: dict[str, pd.DataFrame]) -> None:
    links, labels = tables["identity_links"], tables["labels"]
    farms = labels[(labels["typology"] == "account_farm") & (labels["account_type"] == "creator")]
    strong = links[links["identifier_type"].isin(STRONG)].merge(
        farms, on=["account_type", "account_id"])
    for ring_id, members in farms.groupby("ring_id")["account_id"]:
        ring = strong[strong["ring_id"] == ring_id]
        sharing = ring.groupby("identifier")["account_id"].nunique()
        shared = ring[ring["identifier"].isin(sharing[sharing > 1].index)]
        assert set(shared["account_id"]) == set(members), ring_id


def test_self_purchasers_share_an_identifier_with_their_buyers(
        tables: dict[str, pd.DataFrame]) -> None:
    links, labels = tables["identity_links"], tables["labels"]
    rings = labels[labels["typology"] == "self_purchase"]
    strong = links[links["identifier_type"].isin(STRONG)]
    for ring_id, ring in rings.groupby("ring_id"):
        creator = strong[strong["account_id"].isin(ring.loc[ring["account_type"] == "creator",
                                                            "account_id"])]
        buyers = strong[strong["account_id"].isin(ring.loc[ring["account_type"] == "buyer",
                                                           "account_id"])]
        assert set(creator["identifier"]) & set(buyers["identifier"]), ring_id


def test_self_dealers_promote_their_own_shop(tables: dict[str, pd.DataFrame]) -> None:
    links, labels = tables["identity_links"], tables["labels"]
    shops, commissions = tables["shops"], tables["commissions"]
    for ring_id, ring in labels[labels["typology"] == "self_dealing"].groupby("ring_id"):
        members = ring.groupby("account_type")["account_id"].apply(set)
        seller_ids = links.loc[links["account_id"].isin(members["seller"])
                               & links["identifier_type"].isin([*STRONG, "email"]),
                               "identifier"]
        creator_ids = links.loc[links["account_id"].isin(members["creator"]), "identifier"]
        assert set(seller_ids) & set(creator_ids), ring_id
        owned = shops.loc[shops["seller_id"].isin(members["seller"]), "shop_id"]
        assert members["shop"] <= set(owned), ring_id
        earned = commissions[commissions["creator_id"].isin(members["creator"])
                             & commissions["shop_id"].isin(members["shop"])]
        assert len(earned) > 0, ring_id


def test_collusion_rings_refund_after_the_commission_at_inflated_rates(
        tables: dict[str, pd.DataFrame]) -> None:
    labels = tables["labels"]
    ring = labels[labels["typology"] == "collusion_ring"]
    creators = set(ring.loc[ring["account_type"] == "creator", "account_id"])
    shops = set(ring.loc[ring["account_type"] == "shop", "account_id"])
    deals = tables["affiliations"]
    inside = deals["creator_id"].isin(creators) & deals["shop_id"].isin(shops)
    assert deals.loc[inside, "commission_rate"].astype(float).median() > \
        deals.loc[~inside, "commission_rate"].astype(float).median()
    orders = tables["orders"]
    ring_orders = orders[orders["creator_id"].isin(creators) & orders["shop_id"].isin(shops)]
    other = orders[orders["creator_id"].notna() & ~orders["creator_id"].isin(creators)]
    assert (ring_orders["status"] == "refunded").mean() > 3 * (other["status"] == "refunded").mean()
    refunds = ring_orders[ring_orders["status"] == "refunded"].merge(
        tables["commissions"], on="order_id")
    assert (refunds["refunded_at"] > refunds["created_at"]).mean() > 0.7


def test_fraud_creators_also_do_ordinary_business(tables: dict[str, pd.DataFrame]) -> None:
    labels = tables["labels"]
    creators = set(labels.loc[labels["account_type"] == "creator", "account_id"])
    labelled_shops = set(labels.loc[labels["account_type"] == "shop", "account_id"])
    deals = tables["affiliations"]
    camouflage = deals[deals["creator_id"].isin(creators)
                       & ~deals["shop_id"].isin(labelled_shops)]
    assert camouflage["creator_id"].nunique() > 0.5 * len(creators)


# --- hard negatives ----------------------------------------------------------------------

def test_some_honest_identifier_is_shared_by_over_a_thousand_accounts(
        tables: dict[str, pd.DataFrame]) -> None:
    links = tables["identity_links"]
    sharing = links.groupby(["identifier_type", "identifier"])["account_id"].nunique()
    assert sharing.max() > 1000


def test_agency_creators_share_an_office_ip(tables: dict[str, pd.DataFrame]) -> None:
    creators, links = tables["creators"], tables["identity_links"]
    members = creators.dropna(subset=["agency_id"])
    assert members["agency_id"].value_counts().max() >= 24  # some agencies have dozens
    ips = links[links["identifier_type"] == "ip"].merge(
        members, left_on="account_id", right_on="creator_id")
    per_ip = ips.groupby("identifier").agg(agencies=("agency_id", "nunique"),
                                           creators=("creator_id", "nunique"))
    assert ((per_ip["agencies"] == 1) & (per_ip["creators"] >= 5)).any()


def test_allowlist_has_a_valid_and_an_expired_entry(tables: dict[str, pd.DataFrame]) -> None:
    allowlist = tables["allowlist"]
    newest = tables["orders"]["placed_at"].max()
    assert (allowlist["expires_at"] > newest).any()
    assert (allowlist["expires_at"] < newest).any()
    assert {"payout_account", "phone"} <= set(allowlist["identifier_type"])
    sellers_per_payout = tables["identity_links"].query(
        "identifier_type == 'payout_account'").groupby("identifier")["account_id"].nunique()
    aggregator = allowlist.loc[allowlist["identifier_type"] == "payout_account", "identifier"]
    assert sellers_per_payout[aggregator].min() >= 100


def test_allowlisted_identifiers_belong_to_honest_structures(
        tables: dict[str, pd.DataFrame]) -> None:
    allowlist = tables["allowlist"]
    valid = allowlist.loc[allowlist["expires_at"] > tables["orders"]["placed_at"].max(),
                          "identifier"]
    links = tables["identity_links"]
    users = set(links.loc[links["identifier"].isin(valid), "account_id"])
    labelled = set(tables["labels"]["account_id"])
    assert len(users) >= 100
    assert len(users & labelled) <= 0.02 * len(users)  # a ring member may sit in an agency


def test_a_hit_shop_has_a_loyal_repeat_buyer_base(tables: dict[str, pd.DataFrame]) -> None:
    orders = tables["orders"]
    top = orders["shop_id"].value_counts().index[0]
    repeat = orders.loc[orders["shop_id"] == top, "buyer_id"].value_counts()
    assert (repeat > 1).sum() >= 200
    assert top not in set(tables["labels"]["account_id"])


def test_high_rates_alone_do_not_mean_fraud(tables: dict[str, pd.DataFrame]) -> None:
    deals = tables["affiliations"]
    labelled = set(tables["labels"]["account_id"])
    honest_high = deals[(deals["commission_rate"].astype(float) >= 0.30)
                        & ~deals["creator_id"].isin(labelled)]
    assert honest_high["creator_id"].nunique() >= 3


def test_without_hard_negatives_nothing_is_allowlisted(tmp_path: Path) -> None:
    made = generate_snapshot(tmp_path, GeneratorConfig(scale=0.5, hard_negatives=False))
    assert made.rows["allowlist"] == 0
    links = read(tmp_path, "identity_links")
    assert links.groupby("identifier")["account_id"].nunique().max() < 1000
    assert all(count >= 1 for count in made.rings.values())


# --- scale and interface -----------------------------------------------------------------

def test_rows_grow_about_linearly_with_scale(
        small_and_large: tuple[GeneratedSnapshot, GeneratedSnapshot]) -> None:
    half, double = small_and_large
    ratio = sum(double.rows.values()) / sum(half.rows.values())
    assert 3.4 < ratio < 4.6
    for table in ("creators", "shops", "identity_links", "orders", "commissions"):
        assert 3.4 < double.rows[table] / half.rows[table] < 4.6, table


@pytest.mark.parametrize("bad", [dict(scale=0), dict(scale=-1.0), dict(fmt="xlsx"),
                                 dict(seed=-1)])
def test_unusable_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(GeneratorConfigError):
        GeneratorConfig(**bad)  # type: ignore[arg-type]


def test_command_line_writes_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    assert main(["--out", str(tmp_path), "--scale", "0.05", "--seed", "3",
                 "--no-hard-negatives", "--format", "csv.gz"]) == 0
    printed = capsys.readouterr().out
    assert "orders:" in printed and "planted collusion_ring:" in printed
    assert (tmp_path / "orders.csv.gz").exists() and (tmp_path / "labels.csv").exists()
