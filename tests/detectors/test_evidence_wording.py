"""Every evidence sentence reads alone: it names whom it is about and its numbers agree.

Reviewers see evidence items one by one (and the pipeline folds a commission-
abuse item alone into an identity ring), so no item may lean on its neighbour
("1 of them were refunded"), none may speak of "those buyers" without naming
them, and "1 orders" or "1 prior policy violations" must never appear. Checked
on the full pipeline, over a hand-built market with every pattern planted and
over a generated marketplace.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ringwatch.detectors.pipeline import run_detection
from ringwatch.graph.local_store import LocalStore
from ringwatch.loaders import load_snapshot
from ringwatch.wording import accounts, count, listed, money, plural, verb

from .market import Market

#: An item (or a "; "-separated clause of one) that starts by pointing at something unnamed.
_POINTING_START = re.compile(
    r"^(?:of them|of those|those|these|they|them|their|its|it|he|she|his|her|the ring's|"
    r"this ring|the seller's|the creator's)\b", re.IGNORECASE)
_NOUNS = r"(?:prior )?(?:policy )?(?:distinct )?(?:buyer )?"
#: "1 orders", "1 prior policy violations": a count of one with a plural noun.
_ONE_WITH_PLURAL = re.compile(
    rf"(?<![\d.,])\b1 {_NOUNS}(orders|buyers|creators|accounts|shops|sellers|devices|"
    r"identifiers|violations)\b")
#: "3 order", "12 buyer": a count other than one with a singular noun.
_MANY_WITH_SINGULAR = re.compile(
    rf"(?<![\d.,])\b(?:0|[2-9]|[1-9][\d,]+) {_NOUNS}(order|buyer|creator|account|shop|seller|"
    r"device|identifier|violation)\b(?!s)")
#: Evidence codes whose sentence states an amount of money.
_MONEY_CODES = {"own_link_orders", "own_shop_commission", "commission_at_stake"}
_NOW = datetime(2026, 4, 1, tzinfo=UTC)


def _problems(ring: dict[str, Any]) -> list[str]:
    """What is wrong with each evidence sentence of ``ring`` (empty when all read alone)."""
    ids = [m["id"] for m in ring["members"]]
    found = []
    for item in ring["evidence"]:
        text = item["text"]
        for clause in text.split("; "):
            if _POINTING_START.match(clause):
                found.append(f"starts by pointing at something unnamed: {text!r}")
        for pattern in (_ONE_WITH_PLURAL, _MANY_WITH_SINGULAR):
            if pattern.search(text):
                found.append(f"number and noun disagree: {text!r}")
        if not any(re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text) for i in ids):
            found.append(f"names no member of ring {ring['kind']}: {text!r}")
    return found


def _planted_market() -> Market:
    """Every pattern, with counts of one where a sentence must say the singular."""
    m = Market()
    m.background()
    m.plant_farm()
    # A buyer on the farm's phone buying through a farm creator's link: a self-purchase case the
    # pipeline folds, as one item, into the farm's identity ring.
    m.link("buyer", "farm_alt", "device", "farm_phone_1")
    m.affiliate("farm_c0", "bg_s3", 0.1)
    for day in range(3):
        m.order("farm_alt", "bg_s3", "farm_c0", refunded_after_commission=day == 0, day=2 + day)
    m.violation("farm_c1")
    creators, _, _ = m.plant_collusion()
    m.violation(creators[0])
    m.plant_self_purchase(orders=3, refunded=1)
    m.shop("own_s", seller="own_sel")
    m.creator("own_c")
    m.link("seller", "own_sel", "phone", "owner_phone")
    m.link("creator", "own_c", "phone", "owner_phone")
    m.affiliate("own_c", "own_s", 0.15)
    for b in range(4):
        m.order(f"bg_b{b}", "own_s", "own_c", rate=0.15)
    return m


@pytest.fixture(scope="module")
def planted_rings(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The rings the whole pipeline finds on the planted market (local store)."""
    directory = tmp_path_factory.mktemp("planted")
    store = LocalStore(directory / "store")
    _planted_market().load(store, directory / "snapshot")
    return run_detection(store, now=_NOW).rings


def _texts(rings: list[dict[str, Any]], code: str) -> list[str]:
    return [e["text"] for r in rings for e in r["evidence"] if e["code"] == code]


def test_every_evidence_sentence_of_the_planted_market_reads_alone(
        planted_rings: list[dict[str, Any]]) -> None:
    kinds = {r["kind"] for r in planted_rings}
    assert kinds == {"identity_ring", "collusion_ring", "commission_abuse"}
    assert [p for r in planted_rings for p in _problems(r)] == []


def test_a_refund_item_folded_into_an_identity_ring_names_its_buyer_and_creator(
        planted_rings: list[dict[str, Any]]) -> None:
    farm = next(r for r in planted_rings if r["kind"] == "identity_ring"
                and {"type": "creator", "id": "farm_c0"} in r["members"])
    said = "1 of the 3 orders that buyer farm_alt placed through creator farm_c0's own " \
           "affiliate link was refunded after the commission was paid, where honest trade at " \
           "the same shops would refund about 10% (q = "
    assert any(e["text"].startswith(said) for e in farm["evidence"])


def test_self_purchase_sentences_name_the_buyers_and_say_the_currency(
        planted_rings: list[dict[str, Any]]) -> None:
    assert any(t.startswith(
        "buyer selfie_alt placed 3 orders worth 120.00 USD through creator selfie's own "
        "affiliate link: 3 of the 3 orders it placed through creators' links, where creator "
        "selfie brings ") for t in _texts(planted_rings, "own_link_orders"))
    said = "1 of the 3 orders that buyer selfie_alt placed through creator selfie's own " \
           "affiliate link was refunded after the commission was paid, where honest trade at " \
           "the same shops would refund about 10% (q = "
    assert any(t.startswith(said) for t in _texts(planted_rings, "refund_after_commission"))


def test_self_dealing_names_the_seller_and_its_shop(planted_rings: list[dict[str, Any]]) -> None:
    assert any(t.startswith(
        "creator own_c earned 24.00 USD commission on 4 orders at seller own_sel's own shop "
        "own_s: 4 of the 4 orders it brought to any shop, where seller own_sel's shops take ")
        for t in _texts(planted_rings, "own_shop_commission"))


def test_collusion_sentences_name_buyers_shops_creators_and_devices(
        planted_rings: list[dict[str, Any]]) -> None:
    assert _texts(planted_rings, "shared_buyer_pool") == [
        "buyers fake_b0, fake_b1, fake_b2 and 3 more placed 36 orders across shops col_s0 and "
        "col_s1 through creators col_c0, col_c1 and col_c2"]
    assert _texts(planted_rings, "pool_devices") == [
        "buyers fake_b0, fake_b1, fake_b2 and 3 more of this ring's buyer pool share devices "
        "fake_dev0 and fake_dev1"]


def test_a_single_prior_violation_is_said_in_the_singular(
        planted_rings: list[dict[str, Any]]) -> None:
    said = _texts(planted_rings, "prior_violations")
    assert "creator col_c0 has 1 prior policy violation" in said
    assert "creator farm_c1 has 1 prior policy violation" in said


def test_shared_identifier_sentences_name_the_accounts(
        planted_rings: list[dict[str, Any]]) -> None:
    # The planted market has 19 payout accounts; farm_pa, on 5 accounts, is the only one that wide.
    assert "payout account farm_pa is used by 5 accounts of this ring: creators farm_c0, " \
           "farm_c1, farm_c2 and 2 more; in this snapshot 5.3% of the 19 payout accounts are used " \
           "by 5 accounts or more" in _texts(planted_rings, "shared_payout_account")


def test_every_shared_identifier_sentence_says_how_rare_its_sharing_is(
        planted_rings: list[dict[str, Any]]) -> None:
    shared = [(r, e["text"]) for r in planted_rings for e in r["evidence"]
              if e["code"].startswith("shared_") and e["code"] != "shared_buyer_pool"]
    assert shared
    rarity = re.compile(r"; in this snapshot [\d.]+% of the [\d,]+ [\w ]+ (?:is|are) used by "
                        r"[\d,]+ accounts? or more$")
    assert [t for _, t in shared if not rarity.search(t)] == []
    identity = [r for r, _ in shared if r["kind"] == "identity_ring"]
    assert identity and all(0 < r["metrics"]["rarest_sharing_share"] <= 1 for r in identity)


def test_every_evidence_sentence_of_a_generated_marketplace_reads_alone(
        generated_snapshot: Path, tmp_path: Path) -> None:
    result = load_snapshot(generated_snapshot)
    store = LocalStore(tmp_path / "store")
    store.write_snapshot(result.snapshot)
    rings = run_detection(store, now=_NOW).rings
    assert {r["kind"] for r in rings} == {"identity_ring", "collusion_ring", "commission_abuse"}
    assert [p for r in rings for p in _problems(r)] == []
    codes = set(result.snapshot["orders"]["currency"].dropna().str.upper())
    if codes:  # the generator writes a currency: every amount is said with it
        said = [e["text"] for r in rings for e in r["evidence"] if e["code"] in _MONEY_CODES]
        assert said
        unlabelled = [t for t in said
                      if not any(f" {c} " in f"{t} " for c in codes) and "mixed" not in t]
        assert unlabelled == []


# --- the wording helpers -----------------------------------------------------------------------

def test_counts_agree_with_their_nouns() -> None:
    assert [count(n, "order") for n in (0, 1, 2, 1234)] == [
        "0 orders", "1 order", "2 orders", "1,234 orders"]
    assert count(1, "prior policy violation") == "1 prior policy violation"
    assert plural(2, "identity", "identities") == "identities"
    assert [verb(n, "was", "were") for n in (1, 2)] == ["was", "were"]


def test_lists_name_the_first_few_and_count_the_rest() -> None:
    assert listed([]) == ""
    assert listed(["a"]) == "a"
    assert listed(["a", "b"]) == "a and b"
    assert listed(["a", "b", "c"]) == "a, b and c"
    assert listed(["a", "b", "c", "d", "e"]) == "a, b, c and 2 more"
    assert accounts("buyer", ["b1"]) == "buyer b1"
    assert accounts("creator", ["c1", "c2", "c3", "c4"]) == "creators c1, c2, c3 and 1 more"


def test_money_says_its_currency_when_known() -> None:
    assert money(1830.5, "USD") == "1,830.50 USD"
    assert money(1830.5, None) == "1,830.50"
    assert money(1830.5, "") == "1,830.50"
    assert money(12, "mixed") == "12.00 (summed over mixed currencies)"
