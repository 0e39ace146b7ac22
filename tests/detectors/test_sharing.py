"""Pairs of accounts on shared identifiers, and how much one shared identifier says (rarity)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ringwatch.detectors.sharing import identifier_pairs, rarity

CAPS = {"payout_account": 10, "device": 5, "ip": 40}
WEIGHTS = {"payout_account": 0.9, "device": 0.6, "ip": 0.2}


def _links(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """(account, identifier type, identifier) rows as the context's links, ``sharing`` counted."""
    frame = pd.DataFrame(rows, columns=["account", "identifier_type", "identifier"])
    frame["ident"] = frame["identifier_type"] + ":" + frame["identifier"]
    frame["sharing"] = frame.groupby("ident")["account"].transform("nunique")
    return frame


def _pairs(links: pd.DataFrame, **kwargs: object) -> set[tuple[str, str, str]]:
    found = identifier_pairs(links, max_sharing=CAPS, type_weights=WEIGHTS, **kwargs)
    return set(zip(found["a"], found["b"], found["ident"], strict=True))


def test_rarity_is_flat_among_the_few_and_falls_to_zero_at_the_cap() -> None:
    values = rarity(np.arange(1, 25), np.full(24, 20), 2)
    assert values[:2].tolist() == [1.0, 1.0]  # one or two accounts: personal
    assert values[19:].tolist() == [0.0] * 5  # at the cap and beyond: says nothing
    assert (np.diff(values[1:20]) < 0).all()  # every extra account says less, strictly
    assert values[4] == pytest.approx(math.log(20 / 5) / math.log(20 / 2))


def test_rarity_takes_a_cap_and_a_personal_size_per_identifier() -> None:
    values = rarity(np.array([3, 3, 3]), np.array([11, 11, 4]), np.array([2, 3, 2]))
    assert values[0] == pytest.approx(math.log(11 / 3) / math.log(11 / 2))
    assert values[1] == 1.0  # a household of three is still personal for this type
    assert values[2] == pytest.approx(math.log(4 / 3) / math.log(4 / 2))


def test_every_pair_on_an_identifier_once_with_the_smaller_key_first() -> None:
    links = _links(("creator:c3", "device", "d1"), ("creator:c1", "device", "d1"),
                   ("buyer:b9", "device", "d1"), ("creator:c1", "payout_account", "pa1"),
                   ("creator:c2", "payout_account", "pa1"), ("creator:c4", "device", "d2"))
    assert _pairs(links) == {
        ("buyer:b9", "creator:c1", "device:d1"), ("buyer:b9", "creator:c3", "device:d1"),
        ("creator:c1", "creator:c3", "device:d1"),
        ("creator:c1", "creator:c2", "payout_account:pa1")}  # d2 has one account: no pair


def test_the_weight_is_the_type_weight_times_the_rarity_under_the_cap() -> None:
    links = _links(*[(f"creator:c{i}", "payout_account", "pa1") for i in range(3)],
                   ("creator:c1", "payout_account", "pa2"), ("creator:c2", "payout_account", "pa2"))
    found = identifier_pairs(links, max_sharing=CAPS, type_weights=WEIGHTS)
    by_ident = found.groupby("ident")[["weight", "sharing"]].first()
    assert by_ident.loc["payout_account:pa2", "weight"] == pytest.approx(0.9)
    assert by_ident.loc["payout_account:pa1", "weight"] == pytest.approx(
        0.9 * math.log(11 / 3) / math.log(11 / 2))
    assert by_ident["sharing"].to_dict() == {"payout_account:pa1": 3, "payout_account:pa2": 2}


def test_a_household_size_given_as_personal_keeps_the_full_weight() -> None:
    links = _links(*[(f"buyer:b{i}", "device", "tablet") for i in range(3)])
    plain = identifier_pairs(links, max_sharing=CAPS, type_weights=WEIGHTS)
    household = identifier_pairs(links, max_sharing=CAPS, type_weights=WEIGHTS,
                                 personal={"device": 3})
    assert (plain["weight"] < 0.6).all()
    assert household["weight"].tolist() == pytest.approx([0.6] * 3)


def test_identifiers_over_their_types_cap_make_no_pair() -> None:
    links = _links(*[(f"creator:c{i}", "device", "hub") for i in range(6)],  # cap 5
                   *[(f"creator:c{i}", "device", "shared") for i in range(5)])  # at the cap
    found = identifier_pairs(links, max_sharing=CAPS, type_weights=WEIGHTS)
    assert set(found["ident"]) == {"device:shared"}
    assert len(found) == 10
    assert (found["weight"] > 0).all()


def test_a_type_without_a_cap_is_an_error_not_a_silent_drop() -> None:
    links = _links(("creator:c1", "device", "d1"), ("creator:c2", "device", "d1"),
                   ("creator:c1", "email", "e1"), ("creator:c2", "email", "e1"))  # no cap given
    with pytest.raises(ValueError, match="email"):
        identifier_pairs(links, max_sharing=CAPS, type_weights=WEIGHTS)


def test_an_account_linked_twice_to_one_identifier_is_one_user_of_it() -> None:
    links = _links(("creator:c1", "device", "d1"), ("creator:c1", "device", "d1"),
                   ("creator:c2", "device", "d1"))
    found = identifier_pairs(links, max_sharing=CAPS, type_weights=WEIGHTS)
    assert list(zip(found["a"], found["b"], strict=True)) == [("creator:c1", "creator:c2")]


def test_the_pairs_do_not_depend_on_the_order_of_the_links() -> None:
    links = _links(*[(f"creator:c{i}", "device", f"d{i % 3}") for i in range(9)],
                   *[(f"buyer:b{i}", "ip", "office") for i in range(7)])
    shuffled = links.sample(frac=1.0, random_state=3).reset_index(drop=True)
    columns = ["a", "b", "ident", "identifier_type", "weight", "sharing"]
    first = identifier_pairs(links, max_sharing=CAPS, type_weights=WEIGHTS)
    again = identifier_pairs(shuffled, max_sharing=CAPS, type_weights=WEIGHTS)
    pd.testing.assert_frame_equal(first.sort_values(columns[:3]).reset_index(drop=True),
                                  again.sort_values(columns[:3]).reset_index(drop=True))
    assert len(first) == 3 * 3 + 21


def test_no_shared_identifier_gives_an_empty_frame_with_the_columns() -> None:
    found = identifier_pairs(_links(("creator:c1", "device", "d1")), max_sharing=CAPS,
                             type_weights=WEIGHTS)
    assert found.empty
    assert list(found.columns) == ["a", "b", "ident", "identifier_type", "weight", "sharing"]
