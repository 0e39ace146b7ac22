"""One Spark session (local mode) for every Spark test.

Outside CI a missing pyspark or Java skips these tests with the reason; in CI
(``CI=true``) or with ``RINGWATCH_REQUIRE_SPARK=1`` (``scripts/test.sh`` sets it)
they fail instead, so the parity of the two engines is never skipped silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


def _spark_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "RINGWATCH_REQUIRE_SPARK", "") == "1"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local[2] session shared by the whole test session (a JVM takes seconds to start)."""
    from ringwatch.spark import SparkUnavailableError
    from ringwatch.spark.session import spark_session

    try:
        session = spark_session("local[2]", shuffle_partitions=4)
    except SparkUnavailableError as error:
        if _spark_required():
            pytest.fail(f"Spark is required here: {error}")
        pytest.skip(str(error))
    yield session
    session.stop()
