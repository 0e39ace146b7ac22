"""Ringwatch: finds adversarial creator networks on live-shopping marketplaces.

The distribution installs the repository's top-level folders (``graph/``,
``loaders/``, ``detectors/``, ``api/``, ``cypher/``, ``generator/``) as
subpackages of this one import package.
"""

__version__ = "0.1.0"


class RingwatchError(Exception):
    """Base of every error Ringwatch raises on purpose.

    The command line and the HTTP API turn these into exit codes and problem
    responses; anything else is a bug and is reported as one.
    """
