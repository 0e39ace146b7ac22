"""Account pairs that share identifiers, weighted by how telling the sharing is.

The weight of one shared identifier falls with the number of accounts using it
(an inverse-document-frequency idea): two accounts alone on a payout account
are almost surely one operator; forty accounts on one IP are an office or a
carrier. Pairs are generated per identifier group with numpy (no Python loop
over links), after hub identifiers have been capped away.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .frames import kept_rows


def rarity(sharing: np.ndarray, cap: np.ndarray, personal: np.ndarray | int = 2) -> np.ndarray:
    """1.0 for an identifier shared by up to ``personal`` accounts, falling to 0 at ``cap``.

    ``log(cap / k) / log(cap / personal)`` beyond ``personal``: flat among the few
    (a household, a small farm on one phone say as much per pair), steep toward
    the hub cap.
    """
    k = np.maximum(np.asarray(sharing, dtype=np.float64), 1.0)
    low = np.maximum(np.asarray(personal, dtype=np.float64), 2.0)
    cap = np.maximum(np.asarray(cap, dtype=np.float64), low + 1.0)
    return np.clip(np.log(cap / k) / np.log(cap / low), 0.0, 1.0)


def identifier_pairs(links: pd.DataFrame, *, max_sharing: Mapping[str, int],
                     type_weights: Mapping[str, float],
                     personal: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Every pair of accounts sharing an identifier, one row per (pair, identifier).

    ``links`` needs ``account``, ``ident``, ``identifier_type`` and ``sharing``
    (see :class:`~ringwatch.detectors.context.MarketContext`). Identifiers used by
    more accounts than ``max_sharing[type]`` are dropped; a type present in
    ``links`` without a cap or a weight raises ``ValueError`` (it used to be
    dropped whole, without a word). Returns columns ``a``,
    ``b`` (account keys, ``a < b``), ``ident``, ``identifier_type`` and ``weight``
    (type weight times :func:`rarity`, flat up to ``personal[type]`` accounts) and
    ``sharing`` (how many accounts use the identifier).
    """
    present = pd.unique(links["identifier_type"])
    unweighed = sorted(str(t) for t in present if t not in max_sharing or t not in type_weights)
    if unweighed:
        raise ValueError(f"identifier types without a sharing cap or a weight: {', '.join(unweighed)}")
    cap = per_value(links["identifier_type"], max_sharing)
    usable = kept_rows(links[["ident", "account", "identifier_type"]],
                       ((links["sharing"] >= 2) & (links["sharing"].to_numpy() <= cap)).to_numpy())
    usable = usable.drop_duplicates(["ident", "account"])
    if usable.empty:
        return pd.DataFrame({"a": [], "b": [], "ident": [], "identifier_type": [], "weight": [],
                             "sharing": []})
    usable = usable.sort_values(["ident", "account"], kind="stable")
    ident_codes, _ = pd.factorize(usable["ident"], sort=False)
    # Accounts by code in their sort order: comparing codes compares the keys.
    account_codes, account_names = pd.factorize(usable["account"], sort=True)
    # Group boundaries and sizes (rows are sorted by identifier).
    starts = np.flatnonzero(np.r_[True, ident_codes[1:] != ident_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(ident_codes)])
    # For a group of size k, pairs (i, j) with i < j: k(k-1)/2 of them, built vectorised.
    pairs_per_group = sizes * (sizes - 1) // 2
    group_of_pair = np.repeat(np.arange(len(starts)), pairs_per_group)
    offset_in_group = np.arange(pairs_per_group.sum()) - np.repeat(
        np.cumsum(pairs_per_group) - pairs_per_group, pairs_per_group)
    k = sizes[group_of_pair]
    # Invert the triangular index: pair number p -> (i, j), i < j < k.
    i = (k - 2 - np.floor(np.sqrt(-8 * offset_in_group + 4 * k * (k - 1) - 7) / 2 - 0.5)).astype(
        np.int64)
    j = offset_in_group + i + 1 - k * (k - 1) // 2 + (k - i) * ((k - i) - 1) // 2
    first = starts[group_of_pair]
    a, b = account_codes[first + i], account_codes[first + j]
    a, b = np.minimum(a, b), np.maximum(a, b)
    # Per identifier (group), then repeated to its pairs: the same values, far fewer lookups.
    group_types = usable["identifier_type"].iloc[starts]
    weight = per_value(group_types, type_weights) * rarity(
        sizes, per_value(group_types, max_sharing) + 1,
        pd.Series(per_value(group_types, personal or {})).fillna(2).to_numpy())
    return pd.DataFrame({"a": account_names.take(a), "b": account_names.take(b),
                         "ident": usable["ident"].array.take(first),
                         "identifier_type": usable["identifier_type"].array.take(first),
                         "weight": weight[group_of_pair], "sharing": k})


def per_value(values: pd.Series, mapping: Mapping[str, float]) -> np.ndarray:
    """``values.map(mapping).to_numpy()``, looked up once per distinct value.

    Identifier types are a handful of values over millions of rows: mapping
    each row's text through the dictionary costs more than everything around it.
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    return pd.Series(distinct).map(mapping).to_numpy()[codes]
