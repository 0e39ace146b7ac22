"""``first_uses`` (the lockstep test's first use of each identifier by each account) is the
group-by and stable sort it replaces, row for row, on random links."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ringwatch.detectors.lockstep import first_uses


def _by_group_by(links: pd.DataFrame, min_accounts: int) -> pd.DataFrame:
    """The definition: a group-by on the two text columns in order of appearance, the groups of
    identifiers with ``min_accounts`` accounts or more, sorted stably by identifier and time."""
    first = (links.groupby(["ident", "account"], sort=False)
             .agg(identifier_type=("identifier_type", "first"), t=("first_seen_ms", "min"))
             .reset_index())
    sizes = first.groupby("ident")["account"].transform("size").to_numpy()
    first = first[sizes >= min_accounts]
    return first.sort_values(["ident", "t"], kind="stable").reset_index(drop=True)


def test_first_uses_are_the_group_by_and_stable_sort_row_for_row() -> None:
    rows_checked = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(1, 400))
        idents = [f"device:d{v}" for v in rng.permutation(60)[:int(rng.integers(1, 20))]]
        accounts = [f"creator:c{v}" for v in rng.permutation(500)[:int(rng.integers(1, 40))]]
        ident = rng.choice(idents, n)
        links = pd.DataFrame({
            "ident": pd.array(ident, dtype="str"),
            "identifier_type": pd.array([i.split(":")[0] for i in ident], dtype="str"),
            "account": pd.array(rng.choice(accounts, n), dtype="str"),
            # few distinct times, so that ties in time are many
            "first_seen_ms": pd.array(rng.integers(0, 6, n) * 3_600_000, dtype="Int64"),
        })
        min_accounts = int(rng.integers(1, 5))
        expected = _by_group_by(links, min_accounts)
        found = first_uses(links, min_accounts)
        assert len(found) == len(expected), seed
        rows_checked += len(found)
        np.testing.assert_array_equal(found["ident"].to_numpy(), expected["ident"].to_numpy())
        np.testing.assert_array_equal(found["account"].to_numpy(), expected["account"].to_numpy())
        np.testing.assert_array_equal(found["identifier_type"].to_numpy(),
                                      expected["identifier_type"].to_numpy())
        np.testing.assert_array_equal(found["t"].to_numpy(dtype=np.int64),
                                      expected["t"].to_numpy(dtype=np.int64))
    assert rows_checked > 1000
