"""Snapshot builders for tests: a hand-written one with every kind of bad row, a clean one, and
generated ones."""

from __future__ import annotations

from pathlib import Path

#: table -> CSV text. Each bad row is commented in BAD_ROWS with the reason code it must get.
_BAD_TABLES: dict[str, str] = {
    "creators": """creator_id,registered_at,region,agency_id,note
c1,2026-01-01,US,,first
c2,2026-01-02T10:00:00+02:00,US,ag1,
c3,not-a-date,US,,
c1,2026-01-05,US,,repeat
,2026-01-05,US,,
c5,2026-03-01 08:30,EU,ag1,
""",
    "shops": """shop_id,seller_id,registered_at,region,category
s1,sel1,2026-01-01,US,beauty
s2,sel2,2026-01-01T05:00:00Z,US,toys
s3,,2026-01-01,US,toys
""",
    "identity_links": """account_type,account_id,identifier_type,identifier,first_seen,last_seen,events
creator,c1,device,d1,2026-01-01,2026-02-01,3
creator,c2,device,d1,2026-01-01,,
buyer,b1,device,d1,2026-01-01,,x
robot,c1,device,d1,2026-01-01,,1
creator,c9,phone,p1,2026-01-01,,1
seller,sel1,payout_account,pa1,2026-01-01,,0
seller,sel1,payout_account,pa1,2026-01-01,,2
seller,sel1,payout_account,pa1,2026-01-03,,5
""",
    "orders": """order_id,buyer_id,shop_id,creator_id,amount,currency,placed_at,status,refunded_at
o1,b1,s1,c1,10.5,USD,2026-02-01,completed,
o2,b1,s9,c1,10.5,USD,2026-02-01,completed,
o3,b1,s1,,-1,USD,2026-02-01,completed,
o4,b1,s1,c2,abc,USD,2026-02-01,refunded,2026-02-03
o5,b2,s1,c2,3,USD,2026-02-01,Refunded,2026-02-03
o6,b1,s1,c2,3,USD,2026-02-01,lost,
o7,b1,s1,c2,3,USD,2026-02-01,completed,,surplus
o8,b2,s2,c3,4,USD,2026-02-01,completed,
o9,b2,s2,,4,USD,2026-02-01,completed,
""",
    "commissions": """commission_id,order_id,creator_id,shop_id,amount,rate,created_at,status
cm1,o1,c1,s1,1.05,0.1,2026-02-02,paid
cm2,o2,c1,s1,1.0,0.1,2026-02-02,paid
cm3,o5,c2,s1,0.3,1.5,2026-02-02,paid
cm4,o5,c2,s1,0.3,0.1,2026-02-02,paid
cm5,o1,c1,s1,1.0,0.1,yesterday,paid
""",
}

#: (table, reason code) -> how many rows of the bad snapshot must be quarantined for it.
BAD_ROWS: dict[tuple[str, str], int] = {
    ("creators", "bad_timestamp"): 1,  # c3
    ("creators", "duplicate_key"): 1,  # second c1
    ("creators", "missing_value"): 1,  # empty creator_id
    ("shops", "missing_value"): 1,  # s3 without seller
    ("identity_links", "bad_number"): 1,  # events x
    ("identity_links", "out_of_domain"): 2,  # robot; events 0
    ("identity_links", "unknown_reference"): 1,  # c9
    ("identity_links", "duplicate_key"): 1,  # the third sel1/pa1 repeats the second
    ("orders", "unknown_reference"): 2,  # shop s9; creator c3 was quarantined
    ("orders", "out_of_domain"): 2,  # amount -1; status lost
    ("orders", "bad_number"): 1,  # amount abc
    ("orders", "malformed_row"): 1,  # o7 has a surplus field
    ("commissions", "unknown_reference"): 1,  # order o2 was quarantined
    ("commissions", "out_of_domain"): 1,  # rate 1.5
    ("commissions", "bad_timestamp"): 1,  # yesterday
}


#: table -> CSV text of a small snapshot with no bad row, every table and every column given,
#: the base the loader's damage tests and fuzz test mutate.
CLEAN_TABLES: dict[str, str] = {
    "creators": """creator_id,registered_at,region,agency_id,note
c1,2026-01-01,US,ag1,first
c2,2026-01-02T10:00:00+02:00,US,,
c3,2026-01-03 08:30,EU,ag1,third
c4,2026-01-04T00:00:00Z,EU,ag2,
""",
    "shops": """shop_id,seller_id,registered_at,region,category
s1,sel1,2026-01-01,US,beauty
s2,sel2,2026-01-01T05:00:00Z,US,toys
s3,sel1,2026-01-02,EU,toys
""",
    "identity_links": """account_type,account_id,identifier_type,identifier,first_seen,last_seen,events
creator,c1,device,d1,2026-01-01,2026-02-01,3
creator,c2,device,d1,2026-01-01,,
creator,c3,phone,p1,2026-01-02,,1
seller,sel1,payout_account,pa1,2026-01-01,,2
buyer,b1,ip,10.0.0.1,2026-01-05,2026-01-09,7
""",
    "orders": """order_id,buyer_id,shop_id,creator_id,amount,currency,placed_at,status,refunded_at
o1,b1,s1,c1,10.5,USD,2026-02-01,completed,
o2,b1,s2,c2,3,USD,2026-02-01T10:00:00Z,refunded,2026-02-03
o3,b2,s1,,4.25,USD,2026-02-02,completed,
o4,b2,s3,c3,0,EUR,2026-02-02,cancelled,
o5,b3,s2,c4,99.99,USD,2026-02-03,completed,
""",
    "commissions": """commission_id,order_id,creator_id,shop_id,amount,rate,created_at,status
cm1,o1,c1,s1,1.05,0.1,2026-02-02,paid
cm2,o2,c2,s2,0.3,0.1,2026-02-02,reversed
cm3,o4,c3,s3,0,0.2,2026-02-03,pending
cm4,o5,c4,s2,9.99,0.1,2026-02-04,paid
""",
    "affiliations": """creator_id,shop_id,commission_rate,started_at
c1,s1,0.1,2026-01-10
c2,s2,0.1,2026-01-11
c4,s2,0.15,2026-01-12
""",
    "violations": """creator_id,policy,severity,occurred_at
c2,fake_orders,high,2026-02-05
c3,spam,low,2026-02-06
""",
    "allowlist": """identifier_type,identifier,owner,reason,expires_at
payout_account,pa1,PayCo,shared payout aggregator,2027-01-01
device,d9,Studio A,agency studio phone,2027-01-01
""",
}


def write_clean_snapshot(directory: Path) -> Path:
    """Write the clean snapshot (CSV, every table) into ``directory`` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for table, text in CLEAN_TABLES.items():
        (directory / f"{table}.csv").write_text(text)
    return directory


def write_bad_snapshot(directory: Path) -> Path:
    """Write the bad snapshot (CSV) into ``directory`` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for table, text in _BAD_TABLES.items():
        (directory / f"{table}.csv").write_text(text)
    return directory


def write_generated_snapshot(directory: Path, *, scale: float, seed: int = 7,
                             fmt: str = "csv") -> Path:
    """Generate a synthetic marketplace into ``directory`` and return it."""
    from ringwatch.generator import GeneratorConfig, generate_snapshot

    generate_snapshot(directory, GeneratorConfig(scale=scale, seed=seed, fmt=fmt))
    return directory
