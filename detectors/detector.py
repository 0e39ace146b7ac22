"""What a ring detector declares once, so the pipeline, the run record and the API read it.

A detector module ends with one :class:`Detector`: its kind, its name in the
run record, its progress step, its section of
:class:`~ringwatch.detectors.config.DetectionConfig`, the projections it reads,
how to run it, what it had to work on, and how it gives way to the kinds run
before it. :mod:`.registry` lists them in run order; nothing else names a
detector by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ringwatch.domain import DetectorInputDocument, RingKind

from .config import DetectionConfig
from .context import MarketContext
from .rings import Finding


@dataclass(frozen=True)
class WorkedOn:
    """What a detector had to work on in a run: a count, what it counts, and why it may be 0.

    A detector with nothing to work on finds nothing, and a run that says "0
    collusion rings" must also say that no attributed order reached it, or the
    user reads it as a clean market.
    """

    rows: int
    what: str
    missing: str

    def as_record(self) -> DetectorInputDocument:
        """The run record's entry (``run.json`` ``detectors``)."""
        record: DetectorInputDocument = {"input": f"{self.rows:,} {self.what}", "rows": self.rows,
                                         "nothing_to_work_on": self.rows == 0}
        if self.rows == 0:
            record["why"] = self.missing
        return record


#: Findings of a kind, and the rings of the kinds it gives way to -> the findings kept.
GiveWay = Callable[[list[Finding], list[Finding], DetectionConfig], list[Finding]]


@dataclass(frozen=True)
class Detector:
    """One ring detector as the pipeline runs it.

    ``name`` is its key in ``run.json``'s ``detectors`` and in
    ``DetectionConfig.skip``; ``step`` the progress step it reports;
    ``config`` the :class:`DetectionConfig` field holding its settings (None:
    it has none);
    ``projections`` the store projections it reads. ``find`` runs it on a
    context. ``gives_way_to`` names the kinds whose rings (found before it)
    it defers to, and ``give_way`` how: join them, leave their accounts out,
    or become their evidence. ``cost`` is the relative time of its search on a
    large market: the order in which worker processes take the detectors
    (costliest first, :mod:`.workers`), never what any of them finds.
    """

    name: str
    kind: RingKind | str
    step: str
    config: str | None
    projections: tuple[str, ...]
    find: Callable[[MarketContext, DetectionConfig], list[Finding]]
    worked_on: Callable[[MarketContext], WorkedOn]
    gives_way_to: tuple[RingKind | str, ...] = ()
    give_way: GiveWay | None = None
    cost: float = 1.0


def attributed_orders(ctx: MarketContext) -> int:
    """Orders attributed to a creator in the snapshot (what trade detectors work on)."""
    trade = ctx["creator_shop_trade"]
    return int(trade["orders"].sum()) if len(trade) else 0
