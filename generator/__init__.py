"""Synthetic live-shopping marketplaces with planted fraud rings, for demos, tests, benchmarks.

``generate_snapshot`` writes a snapshot directory in the contract's format plus
``labels.csv`` (the planted rings' members). The honest marketplace is most of
the data; four fraud typologies are planted in it (``account_farm``,
``collusion_ring``, ``self_purchase``, ``self_dealing``), and, unless switched
off, legitimate look-alikes that resemble them. Never used by production loads.
"""

from .config import GeneratorConfig, GeneratorConfigError
from .market import TYPOLOGIES
from .snapshot import GeneratedSnapshot, generate_snapshot

__all__ = [
    "TYPOLOGIES",
    "GeneratedSnapshot",
    "GeneratorConfig",
    "GeneratorConfigError",
    "generate_snapshot",
]
