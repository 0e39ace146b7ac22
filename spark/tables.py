"""The validated snapshot tables as Spark DataFrames, with the contract's columns and types.

The engine starts from validated tables (the loader's rules and quarantine ran
on them: ``ringwatch load``), one ``NAME.parquet`` per contract table, which is
the local store's table directory. A table absent there is empty with its
contract columns, as :func:`ringwatch.tables.empty_table` gives it in process.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ringwatch.tables import TABLES, ColumnType, TableSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def spark_schema(spec: TableSpec):  # -> pyspark.sql.types.StructType
    """The Spark schema of one contract table (ids and text as strings, times as timestamps)."""
    from pyspark.sql import types as T

    kinds = {ColumnType.ID: T.StringType(), ColumnType.TEXT: T.StringType(),
             ColumnType.TIMESTAMP: T.TimestampType(), ColumnType.NUMBER: T.DoubleType(),
             ColumnType.INTEGER: T.LongType()}
    return T.StructType([T.StructField(c.name, kinds[c.type], True) for c in spec.columns])


def read_tables(spark: SparkSession, directory: Path | str) -> dict[str, DataFrame]:
    """Every contract table of ``directory`` (``NAME.parquet``) as a DataFrame, by table name.

    Only the contract columns are read (extra columns are properties the
    projections never use), cast to the contract types.
    """
    from pyspark.sql import functions as F

    directory = Path(directory)
    frames = {}
    for spec in TABLES:
        schema = spark_schema(spec)
        path = directory / f"{spec.name}.parquet"
        if not path.exists():
            frames[spec.name] = spark.createDataFrame([], schema)
            continue
        frame = spark.read.parquet(str(path))
        frames[spec.name] = frame.select(*[
            (F.col(f.name) if f.name in frame.columns else F.lit(None)).cast(f.dataType).alias(f.name)
            for f in schema.fields])
    return frames
