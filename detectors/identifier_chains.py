"""Chains of personal identifiers, judged against the chains chance makes in the same snapshot.

A family shares a tablet among three; a farm that rotates devices hands each
account a device it shares with the next account only, so that no identifier
is shared widely and every tie, alone, is a household's. What no household
makes is the chain's length: twenty accounts tied one to the next. How long a
chain chance makes depends on the market (how many devices its accounts use,
how widely each is shared), so the yardstick is the snapshot's own: the links
of one identifier type shuffled, every account keeping its number of
identifiers and every identifier its number of accounts (the configuration
model of the account-identifier graph), and the chains each shuffle makes
counted as the real ones are.

A chain here is a connected component of the accounts tied through
identifiers of one type, each used by two accounts up to the type's personal
sharing (a hub is not personal, and one identifier's few users are a bundle,
not a chain). A chain of ``k`` accounts is judged by a false-discovery
estimate over every chain the snapshot holds: the chains of ``k`` or more
accounts a shuffle makes on average, against those the snapshot makes, as
Benjamini and Hochberg's q-value reads an empirical null (monotone: a longer
chain is never judged weaker than a shorter one). Where the market's own
links chain at random (accounts with many devices, devices with many users)
the shuffles chain as far, and a long chain says nothing there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .communities import components_through
from .sharing import per_value


@dataclass(frozen=True)
class Chains:
    """One identifier type's chains: the snapshot's and its shuffles', as component sizes.

    ``observed`` and ``null`` hold the number of accounts of every chain of two
    accounts or more, ascending; ``null`` pools ``shuffles`` shuffles.
    """

    observed: np.ndarray
    null: np.ndarray
    shuffles: int

    def at_least(self, accounts: int) -> tuple[int, float]:
        """Chains of ``accounts`` or more: how many the snapshot holds, and how many a shuffle
        makes on average."""
        here = len(self.observed) - int(np.searchsorted(self.observed, accounts, side="left"))
        chance = len(self.null) - int(np.searchsorted(self.null, accounts, side="left"))
        return here, chance / max(self.shuffles, 1)

    def q(self, accounts: int) -> float:
        """The false-discovery estimate of a chain of ``accounts``: over the snapshot's chain
        lengths up to it, the least of (chance's chains that long or longer, smoothed by one
        shuffle that made one) / (the snapshot's chains that long or longer), at most 1."""
        sizes = np.unique(self.observed[self.observed <= accounts])
        if len(sizes) == 0:
            return 1.0
        here = len(self.observed) - np.searchsorted(self.observed, sizes, side="left")
        chance = len(self.null) - np.searchsorted(self.null, sizes, side="left")
        raw = (chance + 1.0) / (self.shuffles + 1.0) / np.maximum(here, 1)
        return float(min(1.0, raw.min()))


@dataclass(frozen=True)
class ChainNull:
    """Per identifier type, the snapshot's chains and chance's (:class:`Chains`)."""

    by_type: Mapping[str, Chains]

    @classmethod
    def of(cls, links: pd.DataFrame, personal: Mapping[str, int], *, shuffles: int,
           seed: int = 42) -> ChainNull:
        """From the context's links (``account_code``, ``ident``, ``identifier_type``,
        ``sharing``; one row per account and identifier), for the types in ``personal`` (each
        with its personal sharing), ``shuffles`` shuffles each.

        On integer columns only: an identifier used by ``s`` accounts has ``s`` rows, so the
        rows of sharing ``s`` over ``s`` count the identifiers of that size.
        """
        type_code, type_names = pd.factorize(links["identifier_type"])
        account = links["account_code"].to_numpy()
        sharing = links["sharing"].to_numpy()
        counts = {}
        for code, identifier_type in enumerate(type_names):
            if identifier_type not in personal:
                continue
            rows = type_code == code
            degrees = np.bincount(account[rows])
            rows_of_size = np.bincount(sharing[rows])
            sizes = np.arange(len(rows_of_size))
            idents = np.divide(rows_of_size, np.maximum(sizes, 1)).astype(np.int64)
            counts[str(identifier_type)] = (degrees[degrees > 0], np.repeat(sizes, idents))
        return cls.from_counts(counts, shared_links(links, personal), personal,
                               shuffles=shuffles, seed=seed)

    @classmethod
    def from_counts(cls, counts: Mapping[str, tuple[np.ndarray, np.ndarray]],
                    shared: pd.DataFrame, personal: Mapping[str, int], *, shuffles: int,
                    seed: int = 42) -> ChainNull:
        """From, per type, every account's number of identifiers and every identifier's number
        of accounts (``counts``: all the null reads, so a distributed engine hands two
        histograms), and the links of the identifiers a chain runs through (``shared``:
        :func:`shared_links`). A type whose two counts do not add up to the same links (a
        link listed twice) is not judged: its shuffles would not be the snapshot's."""
        by_type = {}
        for identifier_type, (degrees, sizes) in counts.items():
            if len(sizes) == 0 or int(degrees.sum()) != int(sizes.sum()):
                continue
            # Each type draws its own shuffles: the same whatever order the types come in.
            rng = np.random.default_rng([seed, *identifier_type.encode()])
            # In ascending order: the same counts, however listed, draw the same shuffles.
            degrees, sizes = np.sort(degrees), np.sort(sizes)
            most = personal[identifier_type]
            slot_account = np.repeat(np.arange(len(degrees)), degrees)
            slot_ident = np.repeat(np.arange(len(sizes)), sizes)
            chained = (sizes >= 2) & (sizes <= most)
            ident = slot_ident[chained[slot_ident]]
            # The accounts of the slots a chain can run through, drawn without replacement
            # from every slot: a shuffle of all of them, read where it matters.
            null = [_chain_sizes(slot_account[rng.choice(len(slot_account), size=len(ident),
                                                         replace=False)], ident)
                    for _ in range(shuffles)]
            mine = shared[shared["identifier_type"].to_numpy() == identifier_type]
            by_type[identifier_type] = Chains(
                _chain_sizes(mine["account_code"].to_numpy(), pd.factorize(mine["ident"])[0]),
                np.sort(np.concatenate(null)) if null else np.empty(0, np.int64), shuffles)
        return cls(by_type)

    def judge(self, identifier_type: str, accounts: int) -> tuple[float, int, float]:
        """A chain of ``accounts`` through ``identifier_type``: its q-value, how many chains that
        long the snapshot holds and how many a shuffle makes on average."""
        chains = self.by_type.get(identifier_type)
        if chains is None:
            return 1.0, 0, 0.0
        return (chains.q(accounts), *chains.at_least(accounts))


def runs_through(links: pd.DataFrame, personal: Mapping[str, int]) -> np.ndarray:
    """Which rows of ``links`` (``identifier_type``, ``sharing``) a chain runs through: of an
    identifier of a type in ``personal`` used by two accounts up to the type's personal sharing."""
    most = np.nan_to_num(per_value(links["identifier_type"], personal).astype(np.float64),
                         nan=0.0)
    sharing = links["sharing"].to_numpy()
    return (sharing >= 2) & (sharing <= most)


def shared_links(links: pd.DataFrame, personal: Mapping[str, int]) -> pd.DataFrame:
    """The links a chain runs through (:func:`runs_through`), the columns the chains read."""
    return links[["account_code", "ident", "identifier_type"]][runs_through(links, personal)]


def _chain_sizes(account: np.ndarray, ident: np.ndarray) -> np.ndarray:
    """The accounts of every chain of two or more, ascending: the components of the accounts
    tied through identifiers (``account``/``ident``: integer codes, one link per row)."""
    if len(account) == 0:
        return np.empty(0, np.int64)
    accounts, members = np.unique(account, return_inverse=True)
    label = components_through(len(accounts), members, pd.factorize(ident)[0])
    sizes = np.bincount(label)
    return np.sort(sizes[sizes >= 2])
