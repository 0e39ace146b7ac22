"""A detection run with its outputs: the one function the command line and batch jobs call.

Runs the detectors on what the store holds (the run and its rings are saved
in the store) and writes ``rings.jsonl`` and ``run.json`` into an output
directory, in the shape docs/contract.md section 2 defines. The HTML report
is drawn by the caller, which chooses how many rings to draw.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ringwatch.detectors.pipeline import DETECTION_STEPS, Engine, RunResult, run_detection
from ringwatch.domain import RING_FIELDS
from ringwatch.forked import workers_from_env
from ringwatch.graph.capabilities import DetectionStore

__all__ = ["DETECTION_STEPS", "RING_FIELDS", "detect_into", "write_rings_jsonl"]


def detect_into(store: DetectionStore, out: Path, *, progress: Callable[[str], None] | None = None,
                extra: Mapping[str, Any] | None = None, engine: Engine | None = None,
                workers: int | None = None) -> RunResult:
    """Detect on ``store``, save the run there, and write rings.jsonl and run.json into ``out``.

    ``progress`` is called with each step of :data:`DETECTION_STEPS` as it
    starts; ``extra`` goes into the run record (the load summary, say);
    ``engine`` runs the data-parallel steps elsewhere (``ringwatch.spark``), in
    process when None; ``workers`` is how many processes the detectors' searches
    may use (:mod:`ringwatch.forked`; None: ``RINGWATCH_WORKERS``, or every
    core this process may use).
    """
    workers = workers_from_env() if workers is None else workers
    out.mkdir(parents=True, exist_ok=True)
    result = run_detection(store, progress=progress, extra=dict(extra) if extra else None,
                           engine=engine, workers=workers)
    write_rings_jsonl(result.rings, out / "rings.jsonl")
    (out / "run.json").write_text(json.dumps(result.run, indent=2))
    return result


def write_rings_jsonl(rings: Iterable[Mapping[str, Any]], path: Path) -> None:
    """One ring per line, highest score first, in the shape of docs/contract.md section 2."""
    with path.open("w") as handle:
        for ring in rings:
            handle.write(json.dumps({key: ring[key] for key in RING_FIELDS if key in ring}) + "\n")
