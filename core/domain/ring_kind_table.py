"""What Ringwatch says about each kind of ring, as one table of data.

A kind's contract name, the words a reviewer reads (``identity ring``,
``identity rings``), its colour on the page and in the report, and one
sentence on what it means. :class:`~.vocabulary.RingKind` is built from this
table; the report, the review page (through ``GET /vocabulary``) and the
API's ``kind`` filter read it. Adding a ring kind is one row here, naming the
detector module that declares it (its ``DETECTOR``, read by
``ringwatch.detectors.registry``), and that module.

Example
-------
>>> [k.name for k in ring_kinds()][:2]
['identity_ring', 'collusion_ring']
>>> ring_kind("lockstep_ring").plural
'lockstep rings'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RingKindInfo:
    """A kind of ring: its name in the contract, its words, its colour and what it means."""

    name: str
    label: str
    plural: str
    colour: str
    meaning: str
    #: The module whose ``DETECTOR`` finds this kind (imported by the detector registry; the
    #: domain only names it). Rows run in table order: a kind that gives way to another is
    #: listed after it.
    detector: str


#: Ring kinds, in the order reports list them (change the order only with its users).
RING_KINDS: tuple[RingKindInfo, ...] = (
    RingKindInfo("identity_ring", "identity ring", "identity rings", "#8d6a9f",
                 "accounts that are one operator: shared devices, payout accounts, phones",
                 detector="ringwatch.detectors.identity_rings"),
    RingKindInfo("collusion_ring", "collusion ring", "collusion rings", "#d1495b",
                 "creators and shops that trade commissions among themselves",
                 detector="ringwatch.detectors.collusion_rings"),
    RingKindInfo("commission_abuse", "commission abuse", "commission abuse", "#edae49",
                 "self-purchase, circular or refund-after-commission schemes",
                 detector="ringwatch.detectors.commission_abuse"),
    RingKindInfo("lockstep_ring", "lockstep ring", "lockstep rings", "#2e86ab",
                 "creators tied by nothing shared, registered in one window and crowding onto "
                 "the same shops far beyond chance",
                 detector="ringwatch.detectors.lockstep_rings"),
    RingKindInfo("coordinated_block", "coordinated block", "coordinated blocks", "#00a6a6",
                 "creators, shops and buyers trading among themselves far denser than chance, "
                 "when no named rule explains it",
                 detector="ringwatch.detectors.coordinated_blocks"),
)


def ring_kinds() -> tuple[RingKindInfo, ...]:
    """Every ring kind, in table order."""
    return RING_KINDS


def ring_kind(name: str) -> RingKindInfo:
    """The row of ring kind ``name``; ``KeyError`` for a word that is no kind."""
    for row in ring_kinds():
        if row.name == name:
            return row
    raise KeyError(f"{name!r} is not a ring kind")
