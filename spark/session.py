"""The Spark session a run uses: local mode by default, any master URL a user has.

Why a helper: executors run the detectors' Python (python-igraph, pandas) through
``applyInPandas``, so they must use this interpreter when local, Arrow must
carry pandas frames both ways, and a shuffle of a small test market should not
pay for 200 partitions.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from . import SparkUnavailableError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"


def require_pyspark() -> None:
    """Raise :class:`SparkUnavailableError` with the one line to print when pyspark is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError as error:
        raise SparkUnavailableError(
            "--engine spark needs pyspark: pip install 'ringwatch[spark]' "
            "(and Java 17 for local mode)") from error


def spark_session(master: str = DEFAULT_MASTER, *, app_name: str = "ringwatch",
                  shuffle_partitions: int | None = None,
                  conf: dict[str, str] | None = None) -> SparkSession:
    """A Spark session on ``master`` (``local[*]``, ``spark://host:7077``, ``yarn``, ...).

    Local masters run the executors' Python with this interpreter (so they see
    the installed ``ringwatch``); on a cluster the executors need ``ringwatch``
    and python-igraph installed (README, "Running on Spark"). ``shuffle_partitions``
    defaults to twice the local cores for a local master and Spark's own
    default otherwise. Returns the active session when one runs on that master.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        if shuffle_partitions is None:
            shuffle_partitions = 2 * (os.cpu_count() or 1)
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.adaptive.enabled", "true"))
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as error:  # the JVM did not start: no Java, or the wrong one
        raise SparkUnavailableError(f"Spark did not start on {master}: {error}".splitlines()[0]) \
            from error
