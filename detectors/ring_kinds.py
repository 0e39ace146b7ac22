"""The kinds of ring the detectors report: :class:`ringwatch.domain.RingKind`, as a tuple.

The enum is the one list (each detector module names its ``KIND`` from it);
this tuple is what consumers iterate (counts by kind in run records, the
API's ``kind`` filter), in the order reports list the kinds.

Example
-------
>>> "identity_ring" in RING_KINDS
True
"""

from __future__ import annotations

from ringwatch.domain import RingKind

#: Every ring kind a detection run can write, in the order reports list them.
RING_KINDS: tuple[RingKind, ...] = tuple(RingKind)
