"""Writing the tables to disk as CSV, gzipped CSV or Parquet, with pyarrow.

Each file is written under a temporary name and then renamed, so a snapshot
directory never holds a half-written table; files of the same table in another
format are removed, so a directory never holds two versions of one table.
"""

from __future__ import annotations

import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .config import FORMATS

_CSV = pacsv.WriteOptions(include_header=True, batch_size=65_536, quoting_style="needed")


def write_snapshot(directory: Path, tables: dict[str, pa.Table], labels: pa.Table, *,
                   fmt: str, lookalikes: pa.Table | None = None) -> dict[str, int]:
    """Write every table as ``NAME.<fmt>``, ``labels.csv`` and ``lookalikes.csv``; return rows per table.

    ``labels.csv`` and ``lookalikes.csv`` are ground truth for evaluation, never
    inputs, and always CSV.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for name in tables:
        for other in FORMATS:
            stale = directory / f"{name}.{other}"
            if other != fmt and stale.exists():
                stale.unlink()
    jobs = [(table, directory / f"{name}.{fmt}", fmt) for name, table in tables.items()]
    jobs.append((labels, directory / "labels.csv", "csv"))
    if lookalikes is not None:
        jobs.append((lookalikes, directory / "lookalikes.csv", "csv"))
    # Arrow's writers release the GIL: the tables are written side by side.
    with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1)) as pool:
        for done in [pool.submit(write_table, table, path, fmt=kind)
                     for table, path, kind in jobs]:
            done.result()
    return {name: table.num_rows for name, table in tables.items()}


def write_table(table: pa.Table, path: Path, *, fmt: str) -> None:
    """Write one table to ``path`` in ``fmt`` (``csv``, ``csv.gz`` or ``parquet``)."""
    partial = path.with_name(path.name + ".partial")
    if fmt == "csv":
        pacsv.write_csv(table, str(partial), write_options=_CSV)
    elif fmt == "csv.gz":
        # zlib at a low level is several times faster than Arrow's gzip stream; a
        # fixed mtime and no file name in the header keep the bytes reproducible.
        with open(partial, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb",
                                                      compresslevel=3, mtime=0) as out:
            pacsv.write_csv(table, pa.PythonFile(out, mode="w"), write_options=_CSV)
    elif fmt == "parquet":
        pq.write_table(table, str(partial), compression="zstd")
    else:
        raise ValueError(f"unknown format {fmt!r}")
    os.replace(partial, path)
