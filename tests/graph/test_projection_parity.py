"""The Neo4j store's Cypher projections equal the local store's pandas ones, row for row.

Detectors read only projections, so this parity is what makes them give the
same rings on either store. Each snapshot is loaded into a local store and
into the real Neo4j server; every projection must be identical (floating sums
within 1e-9 relative) and non-empty where the snapshot has rows for it, and
the counts must agree.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.projections import PROJECTIONS
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import Snapshot, load_snapshot

pytestmark = pytest.mark.neo4j

#: A small marketplace written to hit every branch of the projections: organic and
#: attributed orders; refunds with and without a refund time; commissions pending, paid
#: and reversed, created a microsecond before, exactly at and after the refund; two
#: commissions on one order, one credited to another creator; every account and
#: identifier type; optional tables and extra columns; currencies one, mixed, partly
#: missing, missing and in lower case.
_EDGE_CASES: dict[str, str] = {
    "creators": """creator_id,registered_at,region,agency_id,tier
c1,2026-01-01T09:15:30.123456Z,US,ag1,gold
c2,2026-01-02,EU,,
c3,2025-12-31T23:59:59.999999-01:00,US,ag1,silver
c4,1969-12-31T23:59:59.5Z,APAC,ag2,
""",
    "shops": """shop_id,seller_id,registered_at,region,category
s1,sel1,2026-01-01,US,beauty
s2,sel1,2026-01-01T05:00:00Z,US,
s3,sel2,2026-01-03,EU,toys
""",
    "identity_links": """account_type,account_id,identifier_type,identifier,first_seen,last_seen,events
creator,c1,device,d1,2026-01-01,2026-02-01T10:00:00.000001Z,3
creator,c2,device,d1,2026-01-01,,
creator,c3,ip,ip1,2026-01-02,2026-01-03,7
seller,sel1,payout_account,pa1,2026-01-01,,2
seller,sel2,payout_account,pa1,2026-01-04,,1
buyer,b1,phone,p1,2026-01-05,,1
buyer,b9,email,e1,2026-01-05,2026-01-06,4
creator,c4,email,e1,2026-01-07,,1
""",
    "orders": """order_id,buyer_id,shop_id,creator_id,amount,currency,placed_at,status,refunded_at,channel
o1,b1,s1,c1,0.1,USD,2026-02-01,refunded,2026-02-03T00:00:00.000001Z,live
o2,b1,s1,c1,0.2,USD,2026-02-01,refunded,2026-02-03T00:00:00Z,live
o3,b2,s1,c1,0.3,,2026-02-01,refunded,,video
o4,b2,s2,c2,19.99,USD,2026-02-02,completed,,
o5,b3,s2,,5.5,USD,2026-02-02,completed,,
o6,b3,s2,,7,EUR,2026-02-02,cancelled,,
o7,b1,s3,c3,100,USD,2026-02-03,refunded,2026-02-10,
o8,b1,s3,c3,1e-3,usd,2026-02-03,refunded,2026-02-10,
o9,b4,s3,c4,0,,2026-02-04,completed,,
""",
    "commissions": """commission_id,order_id,creator_id,shop_id,amount,rate,created_at,status
cm1,o1,c1,s1,0.01,0.1,2026-02-03T00:00:00Z,paid
cm2,o2,c1,s1,0.02,0.1,2026-02-03T00:00:00Z,paid
cm3,o3,c1,s1,0.03,0.1,2026-02-02,paid
cm4,o4,c2,s2,2,0.1,2026-02-03,pending
cm5,o7,c3,s3,10,0.1,2026-02-04,reversed
cm6,o7,c2,s3,5,0.05,2026-02-04,paid
cm7,o8,c3,s3,0.0001,0.1,2026-02-04,pending
""",
    "affiliations": """creator_id,shop_id,commission_rate,started_at
c1,s1,0.1,2026-01-15
c3,s3,0.125,2026-01-20T12:00:00.5Z
""",
    "violations": """creator_id,policy,severity,occurred_at
c1,fake_orders,high,2026-01-10
c1,fake_orders,low,2026-01-11
c1,spam,medium,2026-01-12
c3,spam,low,2026-01-12
""",
    "allowlist": """identifier_type,identifier,owner,reason,expires_at
payout_account,pa1,PayFast,payment aggregator,2027-01-01
ip,ip1,Carrier,carrier-grade NAT,2026-06-30T23:59:59Z
""",
}

#: projection -> does the snapshot have rows for it?
_HAS_ROWS: dict[str, Callable[[Snapshot], bool]] = {
    "creators": lambda s: not s["creators"].empty,
    "shops": lambda s: not s["shops"].empty,
    "identity_links": lambda s: not s["identity_links"].empty,
    "creator_shop_trade": lambda s: bool(s["orders"]["creator_id"].notna().any()),
    "buyer_orders": lambda s: not s["orders"].empty,
    "affiliations": lambda s: not s["affiliations"].empty,
    "allowlist": lambda s: not s["allowlist"].empty,
}


def _write_edge_cases(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for table, text in _EDGE_CASES.items():
        (directory / f"{table}.csv").write_text(text)
    return directory


@pytest.fixture(params=["generated", "bad", "edge_cases"])
def snapshot_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """One generated marketplace, the bad snapshot, and the hand-written edge cases."""
    if request.param == "edge_cases":
        return _write_edge_cases(tmp_path / "edge_cases")
    return request.getfixturevalue(f"{request.param}_snapshot")


def test_every_projection_and_count_is_the_same_in_both_stores(
        snapshot_dir: Path, neo4j_session_store: GraphStore, tmp_path: Path) -> None:
    result = load_snapshot(snapshot_dir)
    assert result.summary.reconciles
    snapshot = result.snapshot
    local = LocalStore(tmp_path / "local")
    local.write_snapshot(snapshot)
    neo4j = neo4j_session_store
    neo4j.clear()
    neo4j.write_snapshot(snapshot)

    # First as the load kept them, then computed from the tables read out of the graph (a
    # graph loaded before projections were kept, or one that a load added to).
    for source in ("kept by the load", "read from the graph"):
        if source == "read from the graph":
            server: Any = neo4j
            with server._driver.session(database=server.database) as session:
                session.run("MATCH (p:KeptProjection) DELETE p").consume()
            server._projections.forget()
        for name in PROJECTIONS:
            expected = local.projection(name)
            got = neo4j.projection(name)
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9,
                                          obj=f"projection {name} ({source})")
            if _HAS_ROWS[name](snapshot):
                assert not got.empty, f"projection {name} is empty but the snapshot has rows for it"
    assert neo4j.counts() == local.counts()


def test_the_edge_cases_give_the_documented_values(neo4j_session_store: GraphStore,
                                                   tmp_path: Path) -> None:
    """Pins the semantics both stores share, so that parity cannot hide a shared mistake."""
    neo4j = neo4j_session_store
    neo4j.clear()
    neo4j.write_snapshot(load_snapshot(_write_edge_cases(tmp_path / "edge")).snapshot)
    trade = neo4j.projection("creator_shop_trade").set_index(["creator_id", "shop_id"])
    c1 = trade.loc[("c1", "s1")]
    # o1: refunded a microsecond after its paid commission; o2: at the same instant (not
    # after); o3: refunded without a refund time.
    assert (c1["orders"], c1["refunded_orders"], c1["refunded_after_commission"]) == (3, 3, 1)
    assert c1["gmv"] == pytest.approx(0.6, rel=1e-12)
    assert c1["buyers"] == 2
    c3 = trade.loc[("c3", "s3")]
    # o7's commissions (one reversed before the refund, one credited to c2) both count for c3;
    # o8's only commission is pending.
    assert (c3["commissions"], c3["refunded_after_commission"]) == (3, 1)
    assert c3["commission_total"] == pytest.approx(15.0001, rel=1e-12)
    assert c3["rate_total"] == pytest.approx(0.25, rel=1e-12)
    assert ("c2", "s3") not in trade.index
    # Currency: o3 has none beside USD (mixed), o8's "usd" is USD, o9 has none at all.
    assert trade["currency"].to_dict() == {("c1", "s1"): "mixed", ("c2", "s2"): "USD",
                                           ("c3", "s3"): "USD", ("c4", "s3"): ""}
    buyers = neo4j.projection("buyer_orders").set_index(["buyer_id", "shop_id", "creator_id"])
    assert buyers.loc[("b3", "s2", ""), "orders"] == 2  # organic
    assert buyers.loc[("b3", "s2", ""), "currency"] == "mixed"  # USD and EUR
    assert buyers.loc[("b1", "s3", "c3"), "currency"] == "USD"
    creators = neo4j.projection("creators").set_index("creator_id")
    assert creators.loc["c1", ["violations", "severe_violations"]].tolist() == [3, 2]
    assert creators.loc["c1", "registered_at_ms"] == 1767258930123
    assert creators.loc["c4", "registered_at_ms"] == -500
    links = neo4j.projection("identity_links")
    assert set(links["account_type"]) == {"creator", "seller", "buyer"}
    assert set(links["identifier_type"]) == {"device", "ip", "payout_account", "phone", "email"}
