"""Every ring detector, in the order a run runs them: the one list the pipeline and its users read.

A detector module declares itself once (its ``DETECTOR``, a
:class:`~.detector.Detector`); this tuple puts them in run order. The
pipeline's steps, the run record's ``detectors`` entry, the progress bar and
``DetectionConfig.skip`` all come from here; the ring kinds' words and colours
come from the domain's kind table. Adding a ring kind is a row of that table
and a detector module listed here.

Order matters where a detector gives way to the kinds before it: collusion
rings and commission-abuse cases join the identity ring that holds their
accounts, lockstep rings the identity or collusion ring, and coordinated
blocks, the catch-all, only add accounts no other ring holds.

Example
-------
>>> [d.name for d in DETECTORS]
['identity_rings', 'collusion_rings', 'commission_abuse', 'lockstep_rings', 'coordinated_blocks']
"""

from __future__ import annotations

from ringwatch.domain import ring_kinds

from . import collusion_rings, commission_abuse, coordinated_blocks, identity_rings, lockstep_rings
from .config import DetectionConfig
from .detector import Detector

#: Every detector, in run order.
DETECTORS: tuple[Detector, ...] = (identity_rings.DETECTOR, collusion_rings.DETECTOR,
                                   commission_abuse.DETECTOR, lockstep_rings.DETECTOR,
                                   coordinated_blocks.DETECTOR)


class RegistryError(ValueError):
    """The detectors and the ring kinds do not match one to one, or one gives way to a later one."""


def check_registry(detectors: tuple[Detector, ...] | None = None) -> None:
    """Each ring kind of the domain's table has one detector; sections and give-ways make sense.

    Run at the start of every detection run (``detectors``: the registry's,
    read when called), so a kind added to the table without a detector, or a
    detector without a row, fails at once with what is missing.
    """
    detectors = DETECTORS if detectors is None else detectors
    problems = []
    kinds = [str(d.kind) for d in detectors]
    for kind in (k.name for k in ring_kinds()):
        if kinds.count(kind) != 1:
            problems.append(f"ring kind {kind} has {kinds.count(kind)} detectors (needs 1)")
    problems += [f"detector {d.name}: its kind {d.kind} is no row of the ring kind table"
                 for d in detectors if str(d.kind) not in {k.name for k in ring_kinds()}]
    names = [d.name for d in detectors]
    if len(set(names)) != len(names):
        problems.append(f"detector names repeat: {names}")
    fields = {f.name for f in DetectionConfig.__dataclass_fields__.values()}
    seen: set[str] = set()
    for d in detectors:
        if d.config is not None and d.config not in fields:
            problems.append(f"{d.name}: no DetectionConfig field {d.config!r}")
        later = [k for k in d.gives_way_to if k not in seen]
        if later:
            problems.append(f"{d.name} gives way to {later}, not run before it")
        if d.gives_way_to and d.give_way is None:
            problems.append(f"{d.name} gives way to {list(d.gives_way_to)} but says not how")
        seen.add(d.kind)
    if problems:
        raise RegistryError("; ".join(problems))


def detector_names() -> tuple[str, ...]:
    """The detectors' names, as ``run.json`` and ``DetectionConfig.skip`` use them."""
    return tuple(d.name for d in DETECTORS)
