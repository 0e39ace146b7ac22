"""Every ring detector, in the order a run runs them: the one list the pipeline and its users read.

A detector module declares itself once (its ``DETECTOR``, a
:class:`~.detector.Detector`); each row of the domain's ring-kind table names
the module that finds its kind, and the table's order is the run order. The
pipeline's steps, the run record's ``detectors`` entry, the progress bar and
``DetectionConfig.skip`` all come from here; the ring kinds' words and colours
come from the same table. Adding a ring kind is a row of that table and its
detector module: nothing else names a detector.

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

import importlib

from ringwatch.domain import ring_kinds

from .config import DetectionConfig
from .detector import Detector


class RegistryError(ValueError):
    """The detectors and the ring kinds do not match one to one, or one gives way to a later one."""


def detectors() -> tuple[Detector, ...]:
    """Every ring kind's detector, in the kind table's order (read when called: a row added
    to the table is seen at once)."""
    found = []
    for row in ring_kinds():
        try:
            module = importlib.import_module(row.detector)
        except ImportError as exc:
            raise RegistryError(f"ring kind {row.name}: its detector module {row.detector} "
                                f"cannot be imported ({exc})") from exc
        declared = getattr(module, "DETECTOR", None)
        if not isinstance(declared, Detector):
            raise RegistryError(f"ring kind {row.name}: {row.detector} declares no DETECTOR")
        found.append(declared)
    return tuple(found)


#: Every detector of the table as it stands at import, in run order.
DETECTORS: tuple[Detector, ...] = detectors()


def check_registry(given: tuple[Detector, ...] | None = None) -> None:
    """Each ring kind of the domain's table has one detector; sections and give-ways make sense.

    Run at the start of every detection run (``given``: the registry's,
    read when called, unless given), so a kind added to the table without a detector, or a
    detector without a row, fails at once with what is missing.
    """
    found = detectors() if given is None else given
    problems = []
    kinds = [str(d.kind) for d in found]
    for kind in (k.name for k in ring_kinds()):
        if kinds.count(kind) != 1:
            problems.append(f"ring kind {kind} has {kinds.count(kind)} detectors (needs 1)")
    problems += [f"detector {d.name}: its kind {d.kind} is no row of the ring kind table"
                 for d in found if str(d.kind) not in {k.name for k in ring_kinds()}]
    names = [d.name for d in found]
    if len(set(names)) != len(names):
        problems.append(f"detector names repeat: {names}")
    fields = {f.name for f in DetectionConfig.__dataclass_fields__.values()}
    seen: set[str] = set()
    for d in found:
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
    return tuple(d.name for d in detectors())
