"""The kinds of ring the detectors report, listed once.

Each detector module names its own kind (``KIND``); :data:`RING_KINDS` lists
them all, so that registering a new detector's kind here is the one change
that teaches every consumer about it: the API validates its ``kind`` filter
against this tuple (and shows it as an enum in OpenAPI), and anything that
counts rings by kind can iterate it instead of spelling the kinds again.

Example
-------
>>> "identity_ring" in RING_KINDS
True
"""

from __future__ import annotations

from .collusion_rings import KIND as COLLUSION_RING
from .commission_abuse import KIND as COMMISSION_ABUSE
from .identity_rings import KIND as IDENTITY_RING
from .lockstep_rings import KIND as LOCKSTEP_RING

#: Every ring kind a detection run can write, in the order reports list them.
RING_KINDS: tuple[str, ...] = (IDENTITY_RING, COLLUSION_RING, COMMISSION_ABUSE, LOCKSTEP_RING)
