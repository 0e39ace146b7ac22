"""The generator's entry point: plan, populate, plant, settle, write.

Each stage draws from its own random stream (spawned from the one ``seed``), so
the same seed gives byte-identical files and changing one stage's draws leaves
the others' untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import GeneratorConfig, Sizes
from .lookalikes import plant_lookalikes
from .market import TYPOLOGIES
from .population import populate
from .settlement import settle
from .tables import build_tables
from .typologies import plan_rings, plant_rings
from .writer import write_snapshot

_STAGES = ("plan", "population", "lookalikes", "rings", "settlement", "tables")


@dataclass(frozen=True)
class GeneratedSnapshot:
    """What was written: the directory, rows per table (labels excluded), rings per typology."""

    path: Path
    rows: dict[str, int]
    rings: dict[str, int]


def generate_snapshot(out_dir: Path | str,
                      config: GeneratorConfig = GeneratorConfig(),  # noqa: B008 - frozen
                      ) -> GeneratedSnapshot:
    """Write a synthetic marketplace snapshot with planted rings into ``out_dir``.

    The tables follow docs/contract.md section 1 (``creators``, ``shops``,
    ``identity_links``, ``orders``, ``commissions``, ``affiliations``,
    ``violations``, ``allowlist``, in ``config.fmt``); ``labels.csv`` lists every
    member of every planted ring (``ring_id, account_type, account_id,
    typology``), for evaluation only. For demos, tests and benchmarks: never
    part of a production load.

    Returns
    -------
    GeneratedSnapshot
        The directory, the rows written per table and the rings planted per typology.

    Example
    -------
    >>> made = generate_snapshot("/tmp/market", GeneratorConfig(scale=0.1, seed=1))
    >>> sorted(made.rings) == sorted(TYPOLOGIES)
    True
    """
    sizes = Sizes.for_scale(config.scale)
    seeds = np.random.SeedSequence(config.seed).spawn(len(_STAGES))
    rng = {stage: np.random.default_rng(seed) for stage, seed in zip(_STAGES, seeds, strict=True)}

    specs = plan_rings(sizes.rings_per_typology, rng["plan"])
    market = populate(sizes, specs, hard_negatives=config.hard_negatives, rng=rng["population"])
    if config.hard_negatives:
        plant_lookalikes(market, sizes, rng=rng["lookalikes"])
    plant_rings(market, rng=rng["rings"])
    ledger = settle(market, rng=rng["settlement"])
    tables, labels = build_tables(market, ledger, rng=rng["tables"])
    del market, ledger

    path = Path(out_dir)
    rows = write_snapshot(path, tables, labels, fmt=config.fmt)
    rings = {typology: sum(spec.typology == typology for spec in specs) for typology in TYPOLOGIES}
    return GeneratedSnapshot(path=path, rows=rows, rings=rings)
