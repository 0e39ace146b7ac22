"""The projections a snapshot generation keeps: computed once when its load completes, read by detection.

Why: the projections are a function of the snapshot generation, and computing
them is most of what reading them costs (every table read, the orders joined
with their commissions). So both stores compute them once, when a load
completes a generation, and keep them with it: the local store as
``projection-NAME.parquet`` files in the generation's directory
(:mod:`~ringwatch.graph.local_graph`), the Neo4j store as Parquet bytes on
nodes keyed by the generation (:mod:`~ringwatch.graph.neo4j_projections`). One
computation and one encoding here, so what either store keeps is what
:func:`~ringwatch.graph.projections.from_tables` gives for the generation's
tables, byte for byte.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from ringwatch.tables import TABLES_BY_NAME, Snapshot

from .projections import PROJECTIONS, from_tables


def last_per_key(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Table ``table``'s rows as a store keeps them: one row per key, the last one given.

    A load that repeats a key writes the later row over the earlier one (the
    local store's merge; Neo4j's ``MERGE ... SET``).
    A validated snapshot repeats no key (the loader quarantines repeats), so
    the frame itself is returned when none is repeated: no copy.
    """
    repeated = frame.duplicated(list(TABLES_BY_NAME[table].key), keep="last")
    if not repeated.any():
        return frame
    return frame[~repeated.to_numpy()].reset_index(drop=True)


def projections_of(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every projection of a generation whose tables are ``tables``, computed once for keeping."""
    return {name: from_tables(tables, name) for name in PROJECTIONS}


@dataclass(frozen=True)
class PreparedProjections:
    """Every projection of a snapshot, computed and encoded before its load completes.

    Why apart from keeping them: computing needs only the snapshot in hand, not
    the server, so a bulk load computes them while the offline importer runs;
    ``frames`` then serve the same process's detection (``ringwatch run``)
    without reading back the ``data`` it kept.
    """

    frames: dict[str, pd.DataFrame]
    data: dict[str, bytes]

    @property
    def size(self) -> int:
        """The bytes kept."""
        return sum(len(data) for data in self.data.values())


def kept_table(snapshot: Snapshot, name: str) -> pd.DataFrame:
    """Table ``name`` of ``snapshot`` as a store that holds exactly it keeps it: the last row
    given per key, or the table as it is when the snapshot says it holds each key once
    (:attr:`~ringwatch.tables.Snapshot.unique_keys`: validated, so nothing to look for)."""
    frame = snapshot[name]
    return frame if snapshot.unique_keys else last_per_key(frame, name)


def as_kept(snapshot: Snapshot) -> dict[str, pd.DataFrame]:
    """Every table of ``snapshot`` as :func:`kept_table` gives it."""
    return {name: kept_table(snapshot, name) for name in snapshot.tables}


def prepared_projections(tables: Mapping[str, pd.DataFrame]) -> PreparedProjections:
    """The projections of a generation that holds exactly ``tables``, one row per key (a
    snapshot's as :func:`as_kept` gives them, or tables read back out of a store)."""
    frames = projections_of(tables)
    return PreparedProjections(frames, {name: encoded(frame) for name, frame in frames.items()})


def encoded(frame: pd.DataFrame) -> bytes:
    """A kept projection's bytes: Parquet, without the index (dtypes come back as they were)."""
    buffer = io.BytesIO()
    write_parquet(frame, buffer)
    return buffer.getvalue()


def write_parquet(frame: pd.DataFrame, target: str | Path | IO[bytes]) -> None:
    """How the stores write a table, a projection or a document as Parquet: no index, and no
    column statistics. Nothing reads these files by a filter on a column's range, and the
    minimum and maximum of every text column were a third of the cost of encoding it (the
    writer thread's largest item during a load)."""
    frame.to_parquet(target, index=False, write_statistics=False)


def decoded(data: bytes) -> pd.DataFrame:
    """The projection :func:`encoded` kept."""
    return pd.read_parquet(io.BytesIO(data))
