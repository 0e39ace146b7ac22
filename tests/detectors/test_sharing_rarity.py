"""How rare an identifier's sharing is in the snapshot: the share of its type used as widely."""

from __future__ import annotations

import pandas as pd

from ringwatch.detectors.identity_rings import SharingRarity, _how_rare


def _identifiers(sharing: dict[str, list[int]]) -> pd.DataFrame:
    rows = [(t, k) for t, counts in sharing.items() for k in counts]
    return pd.DataFrame(rows, columns=["identifier_type", "sharing"])


def test_the_share_counts_identifiers_of_the_type_used_by_as_many_accounts_or_more() -> None:
    rarity = SharingRarity.from_identifiers(_identifiers({
        "payout_account": [1] * 994 + [2, 2, 3, 6, 6, 9], "device": [4, 1, 2, 1]}))
    assert rarity.at_least("payout_account", 6) == (3 / 1000, 1000)
    assert rarity.at_least("payout_account", 2) == (6 / 1000, 1000)
    assert rarity.at_least("device", 2) == (2 / 4, 4)  # unsorted input is sorted once
    assert rarity.at_least("device", 5) == (0.0, 4)
    assert rarity.at_least("phone", 2) == (0.0, 0)


def test_the_rarity_clause_agrees_in_number_and_keeps_small_shares_visible() -> None:
    assert _how_rare("payout_account", 6, 3 / 1000, 1000) == (
        "in this snapshot 0.30% of the 1,000 payout accounts are used by 6 accounts or more")
    assert _how_rare("ip", 2, 1.0, 1) == "in this snapshot 100% of the 1 IP is used by 2 accounts or more"
    assert _how_rare("device", 3, 0.000032, 31250) == (
        "in this snapshot 0.0032% of the 31,250 devices are used by 3 accounts or more")
