"""Apache Spark as a detection engine: the same detection, its data-parallel steps on a cluster.

One algorithm, two engines (the Splink pattern): the pipeline, the detectors'
rules, scoring, ring ids and saving stay in :mod:`ringwatch.detectors`; this
package fills in the engine's hooks (:class:`ringwatch.detectors.pipeline.Engine`):
the projections in Spark SQL (:mod:`.projections`), connected components on
DataFrames (:mod:`.components`) and identity rings per component on the
executors (:mod:`.identity`). :class:`.engine.SparkEngine` ties them together.

pyspark is an optional extra (``pip install 'ringwatch[spark]'``): importing
this package does not need it; :func:`.session.spark_session` says in one line
when it is missing.
"""

from ringwatch import RingwatchError


class SparkUnavailableError(RingwatchError):
    """pyspark (or the Java it runs on) is not there: the command line exits 2 with this line."""
