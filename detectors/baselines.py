"""Two naive ring finders, to show what the real detectors add over the obvious.

Both read the raw ``identity_links`` projection: no allowlist, no hub caps
beyond what keeps them computable, no weighting by identifier type or rarity,
no trade signals. If a baseline scores close to the real pipeline on
:func:`~ringwatch.detectors.evaluation.evaluate`, the data set is too easy to
tell the difference. They return ring dicts in the shape the pipeline returns
(``kind``, ``score``, ``members`` as ``{type, id}``, ``metrics``), so the
evaluation scores them identically. A baseline does not rank: every ring gets
score 1.0.

Example
-------
>>> from ringwatch.detectors.evaluation import evaluate
>>> evaluate(louvain_baseline(context, seed=7), labels).overall  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import igraph as ig
import networkx as nx
import numpy as np
import pandas as pd
from networkx.algorithms.community import louvain_communities

from .context import MarketContext
from .sharing import identifier_pairs

COMPONENTS_KIND = "baseline_components"
LOUVAIN_KIND = "baseline_louvain"


def raw_links(ctx: MarketContext) -> pd.DataFrame:
    """Distinct (account, identifier) links of the raw projection, with ``sharing`` per identifier.

    Columns ``account`` and ``ident`` (``"type:id"`` keys), ``identifier_type``, and
    ``sharing`` = distinct accounts using the identifier; allowlisted identifiers stay in.
    """
    links = ctx["identity_links"]
    frame = pd.DataFrame({
        "account": (links["account_type"] + ":" + links["account_id"]).to_numpy(),
        "ident": (links["identifier_type"] + ":" + links["identifier"]).to_numpy(),
        "identifier_type": links["identifier_type"].to_numpy(),
    }).drop_duplicates(["account", "ident"], ignore_index=True)
    frame["sharing"] = frame.groupby("ident")["account"].transform("size").to_numpy()
    return frame


def connected_components_baseline(ctx: MarketContext, *, min_creators: int = 2) -> list[dict[str, Any]]:
    """Accounts joined by any chain of shared identifiers, one ring per component.

    Connected components (python-igraph) of the account–identifier bipartite
    graph of every raw link; a component with at least ``min_creators`` creators
    is a ring whose members are its accounts. One busy IP chains thousands of
    honest accounts together: that is the failure this baseline exhibits.
    """
    links = raw_links(ctx)
    if links.empty:
        return []
    account_codes, accounts = pd.factorize(links["account"], sort=True)
    ident_codes, idents = pd.factorize(links["ident"], sort=True)
    n = len(accounts) + len(idents)
    graph = ig.Graph(n=n, edges=np.column_stack([account_codes, ident_codes + len(accounts)]),
                     directed=False)
    membership = np.asarray(graph.connected_components().membership)[:len(accounts)]
    return _rings(np.asarray(accounts, dtype=object), membership, kind=COMPONENTS_KIND,
                  min_creators=min_creators)


def louvain_baseline(ctx: MarketContext, *, seed: int = 42, max_sharing: int = 1000,
                     min_creators: int = 2) -> list[dict[str, Any]]:
    """Louvain communities (networkx, modularity, resolution 1) of the account–account sharing graph.

    Two accounts are joined with weight = the number of raw identifiers they
    share. Identifiers used by more than ``max_sharing`` accounts are skipped:
    an identifier shared by k accounts makes k(k-1)/2 pairs, and the few carrier
    IPs with thousands of accounts would make millions of edges while telling
    Louvain nothing. A community with at least ``min_creators`` creators is a
    ring whose members are its accounts. Deterministic for a ``seed``.
    """
    links = raw_links(ctx)
    types = links["identifier_type"].unique()
    pairs = identifier_pairs(links, max_sharing=dict.fromkeys(types, max_sharing),
                             type_weights=dict.fromkeys(types, 1.0))
    if pairs.empty:
        return []
    shared = pairs.groupby(["a", "b"], sort=True).size()
    graph = nx.Graph()
    graph.add_weighted_edges_from(zip(shared.index.get_level_values("a"),
                                      shared.index.get_level_values("b"),
                                      shared.to_numpy(dtype=np.float64), strict=True))
    communities = louvain_communities(graph, weight="weight", seed=seed)
    accounts = np.array([a for community in communities for a in community], dtype=object)
    membership = np.repeat(np.arange(len(communities)), [len(c) for c in communities])
    return _rings(accounts, membership, kind=LOUVAIN_KIND, min_creators=min_creators)


def _rings(accounts: np.ndarray, membership: np.ndarray, *, kind: str,
           min_creators: int) -> list[dict[str, Any]]:
    """Ring dicts for the groups of ``membership`` holding at least ``min_creators`` creators."""
    frame = pd.DataFrame({"group": membership, "account": accounts})
    split = frame["account"].str.split(":", n=1, expand=True)
    frame["type"], frame["id"] = split[0], split[1]
    creators = frame["type"].eq("creator").groupby(frame["group"]).sum()
    kept = frame[frame["group"].isin(creators.index[creators >= min_creators])]
    rings = []
    for group, part in kept.sort_values(["group", "type", "id"]).groupby("group", sort=True):
        rings.append({
            "kind": kind,
            "score": 1.0,
            "members": [{"type": t, "id": i} for t, i in zip(part["type"], part["id"], strict=True)],
            "metrics": {"creators": int(creators[group]), "accounts": len(part)},
        })
    return sorted(rings, key=lambda r: (-r["metrics"]["creators"], r["members"][0]["id"]))
