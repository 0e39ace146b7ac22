"""The projections every detector shares, read once per run and prepared once.

Detectors get a :class:`MarketContext` instead of a store: they never know
which store they run on, and the work common to them (dropping allowlisted
identifiers, counting how widely each identifier is shared) is done once.

A context comes from a store (:func:`read_context`), from a snapshot's tables
held in memory (:meth:`MarketContext.from_tables`, the same projections the
local store computes, with no store at all), or from projections in hand
(:func:`build_context`).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ringwatch import native
from ringwatch.graph.capabilities import ProjectionSource
from ringwatch.graph.projections import PROJECTIONS, from_tables

from .distinct import distinct
from .frames import kept_rows


@dataclass(frozen=True)
class AllowlistUse:
    """An allowlist entry and what it did in this run (reported in the run summary)."""

    identifier_type: str
    identifier: str
    owner: str
    reason: str
    expired: bool
    accounts: int


@dataclass(frozen=True)
class MarketContext:
    """Projections plus derived arrays shared by the detectors.

    ``links`` is ``identity_links`` without identifiers on an unexpired allowlist
    entry, with ``sharing`` = how many distinct accounts use the identifier and
    ``account`` = ``"type:id"`` (``ident`` likewise) as compact keys, and
    ``account_code`` an integer per account (equal accounts, equal codes; not dense;
    ``ident_code`` likewise per identifier), for detectors to group on instead of text.
    """

    projections: dict[str, pd.DataFrame]
    links: pd.DataFrame
    allowlist: tuple[AllowlistUse, ...]
    as_of_ms: int

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.projections[name]

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame], *,
                    as_of_ms: int | None = None) -> MarketContext:
        """The context of a snapshot's validated tables, built in memory without a store.

        ``tables`` are the loader's typed frames by contract table name (a
        :class:`~ringwatch.loaders.Snapshot`'s ``tables``); the projections are
        computed from them as the local store computes its own, so the context
        equals the one either store gives after loading the same snapshot.

        Two creators on one device, every other table empty:

        >>> from ringwatch.tables import TABLES
        >>> def table(spec, rows=()):
        ...     frame = pd.DataFrame(list(rows), columns=[c.name for c in spec.columns])
        ...     for c in spec.columns:
        ...         if c.type == "timestamp":
        ...             frame[c.name] = pd.to_datetime(frame[c.name], utc=True)
        ...     return frame
        >>> rows = {"creators": [("c1", "2026-01-01", "US", None), ("c2", "2026-01-02", "US", None)],
        ...         "identity_links": [("creator", "c1", "device", "d1", "2026-03-01", None, 4),
        ...                            ("creator", "c2", "device", "d1", "2026-03-02", None, 2)]}
        >>> ctx = MarketContext.from_tables({t.name: table(t, rows.get(t.name, ())) for t in TABLES})
        >>> ctx.links[["account", "ident", "sharing"]]
              account      ident  sharing
        0  creator:c1  device:d1        2
        1  creator:c2  device:d1        2
        >>> ctx.as_of_ms  # the latest time in the snapshot: 2026-03-02
        1772409600000
        """
        projections = {name: from_tables(tables, name) for name in PROJECTIONS}
        return build_context(projections, as_of_ms=as_of_ms)


def read_context(store: ProjectionSource, *, as_of_ms: int | None = None) -> MarketContext:
    """Read every projection from ``store`` and prepare the shared arrays.

    ``as_of_ms`` is the moment allowlist expiry is judged at; by default the
    latest time seen in the snapshot, so re-running an old snapshot gives the
    same answer it gave then.
    """
    projections = {name: store.projection(name) for name in PROJECTIONS}
    return build_context(projections, as_of_ms=as_of_ms)


def build_context(projections: dict[str, pd.DataFrame], *,
                  as_of_ms: int | None = None) -> MarketContext:
    """Prepare a context from projections already in hand (tests build them by hand)."""
    links = projections["identity_links"]
    if as_of_ms is None:
        as_of_ms = _latest_time(projections)
    allow = projections["allowlist"]
    unexpired = allow[allow["expires_at_ms"].fillna(0).astype("int64") > as_of_ms]
    allowed_keys = set(zip(unexpired["identifier_type"], unexpired["identifier"], strict=True))
    # Arrow's hashing and text joins let go of the interpreter, and so does numpy's sort: the
    # identifiers' side on a second thread, the accounts' here (a quarter off the context at
    # ten million links); then the accounts per identifier are counted while the allowlisted
    # links are left out, and the accounts' keys made while they are counted.
    listed = {f"{t}:{i}" for t, i in zip(allow["identifier_type"], allow["identifier"],
                                         strict=True)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        joined = pool.submit(_joined, links["identifier_type"], links["identifier"])
        coded = pool.submit(_pair_codes, links["identifier_type"], links["identifier"])
        account_codes = _pair_codes(links["account_type"], links["account_id"])
        all_ident_codes = coded.result()
        counted = pool.submit(_accounts_per_identifier, all_ident_codes, account_codes)
        ident_key = joined.result()
        on_list = ident_key.isin(listed).to_numpy()  # the allowlist's identifiers: few links
        kept = ~ident_key.isin({f"{t}:{i}" for t, i in allowed_keys}).to_numpy()
        # Allowlisted links are left out before the columns below are made, so they are made once.
        links = kept_rows(links.assign(ident=ident_key), kept)
        accounts = pool.submit(_joined, links["account_type"], links["account_id"])
        counts, account_key = counted.result(), accounts.result()
    uses = dict(zip(ident_key[on_list], counts[all_ident_codes[on_list]], strict=True))
    usage = []
    for row in allow.itertuples(index=False):  # allowlists are short
        key = f"{row.identifier_type}:{row.identifier}"
        usage.append(AllowlistUse(row.identifier_type, row.identifier, row.owner, row.reason,
                                  expired=(row.identifier_type, row.identifier) not in allowed_keys,
                                  accounts=int(uses.get(key, 0))))
    ident_codes, account_codes = all_ident_codes[kept], account_codes[kept]
    links = links.assign(account=account_key, sharing=counts[ident_codes],
                         account_code=account_codes, ident_code=ident_codes)
    return MarketContext(projections, links, tuple(usage), int(as_of_ms))


def _joined(kind: pd.Series, value: pd.Series) -> pd.Series:
    """``"kind:value"`` per row: the context's compact keys."""
    return kind + ":" + value


def _pair_codes(kind: pd.Series, value: pd.Series) -> np.ndarray:
    """Integer codes of the (``kind``, ``value``) pairs: equal pairs, equal codes; not dense.

    Two factorizations and their int64 combination: cheaper than factorizing
    the ``"kind:value"`` text over every link. Kinds are a small vocabulary, so
    the codes stay below a few times the number of distinct values.
    """
    kind_codes, _ = pd.factorize(kind)
    value_codes, values = _factorized(value)
    return kind_codes.astype(np.int64) * max(values, 1) + value_codes


def _factorized(values: pd.Series) -> tuple[np.ndarray, int]:
    """``pd.factorize``'s codes of a column and how many distinct values it holds: for text,
    from the compiled kernels when they are built (the same codes). Identifiers nearly never
    repeat: Arrow's hash table, which pandas uses, outgrows the cache on them, and the kernels
    number them three times faster; accounts about as fast."""
    if isinstance(values.dtype, pd.StringDtype):
        numbered = native.factorize(pa.Array.from_pandas(values))
        if numbered is not None:
            return numbered[0], len(numbered[1])
    codes, uniques = pd.factorize(values)
    return codes, len(uniques)


def _accounts_per_identifier(ident_codes: np.ndarray, account_codes: np.ndarray) -> np.ndarray:
    """How many distinct accounts use each identifier, indexed by the identifier's code.

    On integer codes (:func:`~.distinct.distinct` code pairs), not a string
    groupby-nunique: this runs over every identity link, millions at scale.
    """
    if len(ident_codes) == 0:
        return np.zeros(0, dtype=np.int64)
    width = int(account_codes.max()) + 1
    pairs = distinct(ident_codes * width + account_codes)
    return np.bincount(pairs // width, minlength=int(ident_codes.max()) + 1).astype(np.int64)


def _latest_time(projections: dict[str, pd.DataFrame]) -> int:
    candidates = [projections["identity_links"]["first_seen_ms"].max(),
                  projections["identity_links"]["last_seen_ms"].max(),
                  projections["creators"]["registered_at_ms"].max(),
                  projections["shops"]["registered_at_ms"].max()]
    values = [int(v) for v in candidates if pd.notna(v)]
    return max(values) if values else 0
