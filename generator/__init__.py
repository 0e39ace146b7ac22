"""Synthetic live-shopping marketplaces with planted fraud rings, for demos, tests, benchmarks.

``generate_snapshot`` writes a snapshot directory in the contract's format plus
``labels.csv`` (the planted rings' members) and ``lookalikes.csv`` (honest
structures that resemble rings). Four profiles (``GeneratorConfig.profile``):

- ``plain``: the honest marketplace is most of the data; four fraud typologies
  are planted in it (``account_farm``, ``collusion_ring``, ``self_purchase``,
  ``self_dealing``), and, unless switched off, legitimate look-alikes that
  resemble them;
- ``evasion``: the same plus rings using evasion tactics (``EVASION_TYPOLOGIES``)
  and harder look-alikes;
- ``sybil``: identity links only, heavy-tailed sybil groups among exchange
  hubs (``SYBIL_TYPOLOGIES``), shaped like airdrop sybil data.
- ``benign``: the plain marketplace plus many honest structures at scale that
  look like rings (``BENIGN_LOOKALIKES``: boosted campaigns, high-refund
  categories, flash sales, households, dorms, ...), each recorded in
  ``lookalikes.csv``, their parameters drawn per seed.

Never used by production loads.
"""

from .benign_lookalikes import BENIGN_LOOKALIKES
from .config import PROFILES, GeneratorConfig, GeneratorConfigError
from .evasion import EVASION_TYPOLOGIES
from .market import TYPOLOGIES
from .snapshot import GeneratedSnapshot, generate_snapshot, profile_typologies
from .sybil import SYBIL_TYPOLOGIES

__all__ = [
    "BENIGN_LOOKALIKES",
    "EVASION_TYPOLOGIES",
    "PROFILES",
    "SYBIL_TYPOLOGIES",
    "TYPOLOGIES",
    "GeneratedSnapshot",
    "GeneratorConfig",
    "GeneratorConfigError",
    "generate_snapshot",
    "profile_typologies",
]
