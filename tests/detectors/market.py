"""A small hand-built marketplace for detector tests, where the right answer is known.

Tests add exactly the pattern they are about (a farm, an agency, a collusion
ring) on top of an ordinary background market. Detector tests take its
:meth:`Market.context`, built in memory from rows the loader's own validation
typed (no files, no store); tests of a store or of a whole run write it as a
real snapshot and load it through the real loader into the store (:meth:`Market.load`).
``tests/detectors/test_context.py`` checks that both ways give the same context.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ringwatch.detectors.context import MarketContext, read_context
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import load_snapshot
from ringwatch.loaders.read import RawTable
from ringwatch.loaders.validate import validate_table
from ringwatch.tables import TABLES

DAY = "2026-03-{:02d}T10:00:00Z"


@dataclass
class Market:
    """Rows per table; helpers add accounts, links and trade."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: {t.name: [] for t in TABLES})
    _orders: int = 0

    def creator(self, creator_id: str, *, agency: str = "", registered: str = "2025-06-01") -> str:
        self.rows["creators"].append({"creator_id": creator_id, "registered_at": registered,
                                      "region": "US", "agency_id": agency})
        return creator_id

    def shop(self, shop_id: str, *, seller: str, category: str = "home") -> str:
        self.rows["shops"].append({"shop_id": shop_id, "seller_id": seller,
                                   "registered_at": "2025-01-01", "region": "US",
                                   "category": category})
        return shop_id

    def link(self, account_type: str, account_id: str, identifier_type: str,
             identifier: str, *, first_seen: str = "2026-01-01") -> None:
        self.rows["identity_links"].append({
            "account_type": account_type, "account_id": account_id,
            "identifier_type": identifier_type, "identifier": identifier,
            "first_seen": first_seen, "last_seen": "2026-03-30", "events": 3})

    def affiliate(self, creator_id: str, shop_id: str, rate: float) -> None:
        self.rows["affiliations"].append({"creator_id": creator_id, "shop_id": shop_id,
                                          "commission_rate": rate, "started_at": "2026-01-01"})

    def order(self, buyer: str, shop: str, creator: str = "", *, amount: float = 40.0,
              rate: float = 0.1, refunded_after_commission: bool = False, day: int = 5,
              currency: str = "USD") -> None:
        """One order; attributed orders get a paid commission (refunded after it, if asked).

        ``currency=""`` leaves the order's currency unknown, as a snapshot without it would.
        """
        self._orders += 1
        order_id = f"o{self._orders}"
        refunded = refunded_after_commission
        self.rows["orders"].append({
            "order_id": order_id, "buyer_id": buyer, "shop_id": shop, "creator_id": creator,
            "amount": amount, "currency": currency, "placed_at": DAY.format(day),
            "status": "refunded" if refunded else "completed",
            "refunded_at": DAY.format(day + 10) if refunded else ""})
        if creator:
            self.rows["commissions"].append({
                "commission_id": f"cm{self._orders}", "order_id": order_id,
                "creator_id": creator, "shop_id": shop, "amount": round(amount * rate, 2),
                "rate": rate, "created_at": DAY.format(day + 2), "status": "paid"})

    def violation(self, creator_id: str, *, policy: str = "fake_orders",
                  severity: str = "medium") -> None:
        self.rows["violations"].append({"creator_id": creator_id, "policy": policy,
                                        "severity": severity, "occurred_at": "2026-02-01"})

    def allow(self, identifier_type: str, identifier: str, *, expires: str = "2027-01-01") -> None:
        self.rows["allowlist"].append({"identifier_type": identifier_type,
                                       "identifier": identifier, "owner": "PayCo",
                                       "reason": "payment aggregator", "expires_at": expires})

    def background(self, *, creators: int = 12, shops: int = 6, buyers: int = 60) -> None:
        """An ordinary market: own identifiers, ordinary rates, few refunds, many buyers."""
        for s in range(shops):
            self.shop(f"bg_s{s}", seller=f"bg_sel{s}")
            self.link("seller", f"bg_sel{s}", "payout_account", f"bg_pa_sel{s}")
        for c in range(creators):
            creator = self.creator(f"bg_c{c}")
            self.link("creator", creator, "device", f"bg_d{c}")
            self.link("creator", creator, "payout_account", f"bg_pa{c}")
            for s in (c % shops, (c + 1) % shops):
                self.affiliate(creator, f"bg_s{s}", 0.1)
        for b in range(buyers):
            self.link("buyer", f"bg_b{b}", "device", f"bg_bd{b}")
            for k in range(2):
                c = (b + k) % creators
                self.order(f"bg_b{b}", f"bg_s{(c + k) % shops}", f"bg_c{c}", day=1 + (b % 20))

    def plant_farm(self, size: int = 5) -> list[str]:
        """``size`` creators on two phones, one payout account and one SIM. Returns the creators."""
        creators = [self.creator(f"farm_c{i}") for i in range(size)]
        for i, c in enumerate(creators):
            self.link("creator", c, "device", "farm_phone_1" if i < 3 else "farm_phone_2")
            self.link("creator", c, "payout_account", "farm_pa")
            self.link("creator", c, "phone", "farm_sim")
        return creators

    def plant_collusion(self, *, camouflage: bool = True) -> tuple[list[str], list[str], list[str]]:
        """Three creators and two complicit shops trading with six fake buyers on two devices,
        at inflated rates, most orders refunded after the commission was paid; the creators
        also trade normally with an ordinary shop (camouflage). Returns creators, shops, buyers."""
        creators = [self.creator(f"col_c{i}") for i in range(3)]
        shops, buyers = self.trade_fake_orders(creators)
        if camouflage:
            for c in creators:
                self.affiliate(c, "bg_s1", 0.1)
                for k in range(3):
                    self.order(f"bg_b{k}", "bg_s1", c)
        return creators, shops, buyers

    def trade_fake_orders(self, creators: list[str], *, shops: str = "col_s",
                          sellers: str = "col_sel", buyers: str = "fake_b",
                          devices: str = "fake_dev") -> tuple[list[str], list[str]]:
        """Two complicit shops and six fake buyers on two devices trade through ``creators``, at
        inflated rates, most orders refunded after the commission was paid (ids start with the
        given prefixes). Returns the shops and the buyers."""
        made = [self.shop(f"{shops}{i}", seller=f"{sellers}{i}") for i in range(2)]
        fake = [f"{buyers}{i}" for i in range(6)]
        for i, b in enumerate(fake):
            self.link("buyer", b, "device", f"{devices}{i % 2}")
        for c in creators:
            for s in made:
                self.affiliate(c, s, 0.3)
                for k, b in enumerate(fake):
                    self.order(b, s, c, rate=0.3, refunded_after_commission=k % 3 != 0, day=3 + k)
        return made, fake

    def plant_self_purchase(self, *, creator: str = "selfie", orders: int = 4,
                            refunded: int = 4, currency: str = "USD") -> None:
        """Creator ``selfie`` buys ``orders`` times through its own link as buyer ``selfie_alt``,
        on its phone ``selfie_phone`` (names follow ``creator``); the first ``refunded`` orders
        are refunded after the commission was paid."""
        creator = self.creator(creator)
        self.link("creator", creator, "device", f"{creator}_phone")
        self.link("buyer", f"{creator}_alt", "device", f"{creator}_phone")
        self.affiliate(creator, "bg_s2", 0.1)
        for day in range(orders):
            self.order(f"{creator}_alt", "bg_s2", creator, refunded_after_commission=day < refunded,
                       day=2 + day, currency=currency)

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for spec in TABLES:
            columns = [c.name for c in spec.columns]
            with (directory / f"{spec.name}.csv").open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=columns)
                writer.writeheader()
                writer.writerows(self.rows[spec.name])
        return directory

    def tables(self) -> dict[str, pd.DataFrame]:
        """The rows as the loader's typed tables, in memory: what loading :meth:`write` gives.

        Each table's rows, as the text a CSV file would hold, go through the
        loader's own validation (the ids a reference may name are those the
        tables before it loaded, as in a load); a row it would quarantine
        fails the test that made it, with the reason.
        """
        targets = {(ref.table, ref.target) for spec in TABLES for ref in spec.references}
        known: dict[tuple[str, str], pa.Array] = {}
        typed = {}
        for spec in TABLES:
            text = {column.name: pa.array([_text(row.get(column.name, "")) for row in
                                           self.rows[spec.name]], pa.string())
                    for column in spec.columns}
            table = validate_table(RawTable(Path(f"{spec.name}.csv"), pa.table(text)), spec, known)
            assert table.quarantined == 0, table.quarantine.to_dict("records")
            typed[spec.name] = table.frame
            for table_name, column in targets:
                if table_name == spec.name:
                    known[(table_name, column)] = pa.array(table.frame[column].dropna().unique(),
                                                           pa.string())
        return typed

    def context(self, *, as_of_ms: int | None = None) -> MarketContext:
        """The detectors' context of this market, built in memory (no files, no store)."""
        return MarketContext.from_tables(self.tables(), as_of_ms=as_of_ms)

    def load(self, store: GraphStore, directory: Path) -> MarketContext:
        """Write, load through the real loader into ``store``, and read the detector context."""
        result = load_snapshot(self.write(directory))
        assert result.summary.quarantined == 0, result.summary.as_dict()
        store.write_snapshot(result.snapshot)
        return read_context(store)


def _text(value: object) -> str:
    """A value as :meth:`Market.write`'s CSV file holds it."""
    return "" if value is None else str(value)
