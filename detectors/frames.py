"""Rows of a wide frame of Arrow text, kept by a mask, at Arrow's speed.

Why: the detectors' frames hold their ids as Arrow text (pandas' ``str``
dtype), and pandas selects rows of such a column by handing Arrow a list of
positions, whose ``take`` over a column of several chunks costs about eight
times Arrow's own ``filter`` by a mask (30 ms against 4 ms for a million ids
on this machine). A frame of a million identity links kept whole but for a
few allowlisted ones took 0.11 s one way and 0.05 s the other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa


def kept_rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows of ``frame`` where ``keep`` (booleans, one per row) holds, in their order, with a
    fresh ``RangeIndex``: ``frame[keep].reset_index(drop=True)``.

    Through Arrow where every column comes back from it as it went in (the
    dtypes are compared); otherwise, or for a frame with no text, through pandas.
    """
    keep = np.asarray(keep, dtype=bool)
    if keep.all():
        return frame.reset_index(drop=True)
    if not any(isinstance(dtype, pd.StringDtype) for dtype in frame.dtypes):
        return frame[keep].reset_index(drop=True)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False).filter(pa.array(keep))
        kept = table.to_pandas()
    except (pa.ArrowException, TypeError, ValueError):  # a column Arrow cannot hold as it is
        return frame[keep].reset_index(drop=True)
    if not kept.dtypes.equals(frame.dtypes) or list(kept.columns) != list(frame.columns):
        return frame[keep].reset_index(drop=True)
    return kept
