"""Temporal lockstep: identifiers whose accounts all started using them in one narrow window.

A farm is set up in a session: its operator registers the accounts, logs them
into the same phones and points them at the same payout accounts within hours.
An exchange's hot wallet or a carrier's NAT address gathers its thousands of
honest users over the whole history instead. So an identifier shared beyond
what one person would share is still telling when most of its accounts first
used it inside one window, *and* the market as a whole was not doing the same
thing then (an onboarding campaign moves everyone at once, which is no
evidence against anyone). The idea follows CopyCatch (Beutel et al., WWW
2013): lockstep behaviour judged against the background rate.

Everything is computed on sorted arrays with ``searchsorted``: no loop per
identifier or per link.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from .frames import kept_rows

#: The columns of ``links`` that :func:`lockstep_identifiers` reads.
_READ = ("ident", "identifier_type", "account", "first_seen_ms", "sharing")


def lockstep_identifiers(links: pd.DataFrame, *, windows: Sequence[tuple[int, float]],
                         min_accounts: int, min_share: float, types: tuple[str, ...],
                         background: pd.DataFrame | None = None) -> pd.DataFrame:
    """Identifiers used by ``min_accounts`` or more accounts, most of them first seen together.

    ``links`` needs ``ident``, ``identifier_type``, ``account`` and
    ``first_seen_ms`` (a :class:`~ringwatch.detectors.context.MarketContext`'s
    ``links``). ``windows`` are (width in ms, largest market share) pairs,
    narrowest first. For each identifier and width the densest window is found
    (the one that starts at one of its first-seen times and holds the most of
    its accounts); the identifier is in lockstep when, for some width, that
    window holds at least ``min_share`` of its accounts while the market's
    links of the same type in it are at most that width's share of all of them.
    The narrowest width that holds wins.

    ``background`` (``identifier_type``, ``first_seen_ms``) is what the market
    did, when that is not ``links`` itself (a ring's registrations are judged
    against every creator's); the identifier's own rows are left out of it
    either way.

    Returns ``ident``, ``identifier_type``, ``accounts`` (distinct accounts),
    ``in_window`` (accounts first seen inside the window), ``window_ms``,
    ``window_start_ms`` and ``market_share``.
    """
    empty = pd.DataFrame({"ident": [], "identifier_type": [], "accounts": [], "in_window": [],
                          "window_ms": [], "window_start_ms": [], "market_share": []})
    # Rows are chosen on the type and time columns first, and only the columns read here
    # are taken, once each: links are wide and long, and their text costs to copy.
    usable = (links["identifier_type"].isin(types) & links["first_seen_ms"].notna()).to_numpy()
    if not usable.any():
        return empty
    # Most identifiers are personal: leave them out before grouping (a context's links
    # carry how many accounts share each identifier); the market counts keep them.
    chosen = usable & (links["sharing"].to_numpy() >= min_accounts) if "sharing" in links \
        else usable
    candidates = kept_rows(links[[c for c in _READ if c in links]], chosen)
    first = first_uses(candidates, min_accounts)
    if first.empty:
        return empty
    codes, names = pd.factorize(first["ident"], sort=False)
    t = first["t"].to_numpy(dtype=np.int64)
    market = (_MarketTimes(links["identifier_type"], links["first_seen_ms"], usable)
              if background is None else
              _MarketTimes(background["identifier_type"], background["first_seen_ms"]))
    found = []
    for window_ms, max_market_share in windows:  # a few widths
        span = int(t.max() - t.min()) + window_ms + 1
        key = codes.astype(np.int64) * span + (t - t.min())
        # Accounts of the same identifier whose first use falls in [t_i, t_i + window].
        in_window = np.searchsorted(key, key + window_ms, side="right") - np.arange(len(key))
        per = pd.DataFrame({"code": codes, "in_window": in_window, "start": t})
        best = per.loc[per.groupby("code")["in_window"].idxmax()]
        result = pd.DataFrame({
            "ident": names[best["code"].to_numpy()],
            "identifier_type": first["identifier_type"].to_numpy()[best.index.to_numpy()],
            "accounts": np.bincount(codes)[best["code"].to_numpy()],
            "in_window": best["in_window"].to_numpy(),
            "window_ms": window_ms,
            "window_start_ms": best["start"].to_numpy(),
        })
        result = result[(result["in_window"] >= min_share * result["accounts"]).to_numpy()]
        if result.empty:
            continue
        # The market's share leaves the identifier's own links out: a funder's thousand
        # links are the anomaly, not the background it is judged against.
        inside, total = market.counts(result.reset_index(drop=True), window_ms)
        result = result.assign(market_share=(inside - result["in_window"].to_numpy())
                               / np.maximum(total - result["accounts"].to_numpy(), 1))
        found.append(result[(result["market_share"] <= max_market_share).to_numpy()])
    if not found:
        return empty
    return (pd.concat(found, ignore_index=True).drop_duplicates("ident", keep="first")
            .reset_index(drop=True))


def first_uses(links: pd.DataFrame, min_accounts: int) -> pd.DataFrame:
    """Each account's first use of each identifier ``min_accounts`` or more accounts use.

    ``links`` has ``ident``, ``account``, ``identifier_type`` and ``first_seen_ms``
    (none missing). One row per (identifier, account): ``ident``, ``account``, the
    ``identifier_type`` of its first row and ``t``, its earliest time; sorted by
    identifier, then time, ties in the order the pairs first appear. That is a
    group-by on the two text columns (in order of appearance) and a stable sort by
    identifier and time; here on integer codes, identifiers numbered in their
    sort order (an identity search's two calls: 0.21 s to 0.17 s at two million
    rows).
    """
    ident, _ = pd.factorize(links["ident"], sort=True)
    account, accounts = pd.factorize(links["account"])
    present = np.flatnonzero((ident >= 0) & (account >= 0))  # a group-by leaves out a missing key
    pair, _ = pd.factorize(ident[present] * max(len(accounts), 1) + account[present])
    _, at = np.unique(pair, return_index=True)  # each pair's first row, pairs in order of appearance
    t = links["first_seen_ms"].to_numpy(dtype=np.int64)[present]
    earliest = np.full(len(at), np.iinfo(np.int64).max)
    np.minimum.at(earliest, pair, t)
    rows = present[at]
    of_ident = ident[rows]
    kept = np.bincount(of_ident)[of_ident] >= min_accounts
    order = np.flatnonzero(kept)[np.lexsort((earliest[kept], of_ident[kept]))]
    taken = pa.array(rows[order])
    return pd.DataFrame({
        column: pa.Array.from_pandas(links[column]).take(taken).to_pandas()
        for column in ("ident", "account", "identifier_type")
    }).assign(t=earliest[order])


class _MarketTimes:
    """The market's first-seen times of an identifier type (``types``, ``times``; only the
    ``rows`` given, when given), sorted the first time a window of that type is counted and
    kept for every width after it: one sort per type a call reads, not one per width."""

    def __init__(self, types: pd.Series, times: pd.Series, rows: np.ndarray | None = None) -> None:
        self._types, self._times, self._rows = types, times, rows
        self._values: np.ndarray | None = None  # the times as int64, made when first read
        self._sorted: dict[str, np.ndarray] = {}

    def of_type(self, identifier_type: str) -> np.ndarray:
        """The type's times, ascending."""
        if identifier_type not in self._sorted:
            mine = (self._types == identifier_type).to_numpy(dtype=bool, na_value=False)
            if self._rows is not None:
                mine = mine & self._rows
            if self._values is None:  # (a missing time is in no row read)
                self._values = self._times.to_numpy(dtype=np.int64, na_value=0)
            self._sorted[identifier_type] = np.sort(self._values[mine])
        return self._sorted[identifier_type]

    def counts(self, windows: pd.DataFrame, window_ms: int) -> tuple[np.ndarray, np.ndarray]:
        """Per window: the market's links of its identifier type first seen inside it, and in all."""
        inside = np.zeros(len(windows))
        total = np.zeros(len(windows))
        for identifier_type, rows in windows.groupby("identifier_type").groups.items():  # few types
            times = self.of_type(identifier_type)
            starts = windows.loc[rows, "window_start_ms"].to_numpy(dtype=np.int64)
            at = windows.index.get_indexer(rows)
            inside[at] = (np.searchsorted(times, starts + window_ms, side="right")
                          - np.searchsorted(times, starts, side="left"))
            total[at] = len(times)
        return inside, total


def registration_bursts(members: pd.DataFrame, creators: pd.DataFrame, *,
                        windows: Sequence[tuple[int, float]], min_accounts: int,
                        min_share: float) -> pd.DataFrame:
    """Groups whose creators registered in one narrow window the market was quiet in.

    ``members`` holds ``group`` and ``creator_id``; ``creators`` the market's
    ``creator_id`` and ``registered_at_ms``. An honest onboarding day moves the
    whole market, so it is no burst here; a farm registering its accounts in
    one sitting is. ``windows`` as :func:`lockstep_identifiers` takes them.
    Returns the groups in a burst with the numbers for evidence (columns as
    :func:`lockstep_identifiers`, ``ident`` holding the group).
    """
    registered = creators.set_index("creator_id")["registered_at_ms"]
    rows = pd.DataFrame({
        "ident": members["group"].to_numpy(),
        "identifier_type": "registration",
        "account": members["creator_id"].to_numpy(),
        "first_seen_ms": registered.reindex(members["creator_id"]).to_numpy(),
    })
    market = pd.DataFrame({"identifier_type": "registration",
                           "first_seen_ms": creators["registered_at_ms"].to_numpy()})
    return lockstep_identifiers(rows, windows=windows,
                                min_accounts=min_accounts, min_share=min_share,
                                types=("registration",), background=market.dropna())
