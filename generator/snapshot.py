"""The generator's entry point: plan, populate, plant, settle, write.

Each stage draws from its own random stream (spawned from the one ``seed``), so
the same seed gives byte-identical files and changing one stage's draws leaves
the others' untouched. The ``evasion`` and ``benign`` profiles' extra stages get
streams of their own after the plain ones, so the plain stages keep theirs; the ``sybil``
profile is a different data set altogether (``sybil``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from .benign_lookalikes import plant_benign_lookalikes
from .config import GeneratorConfig, Sizes
from .evasion import EVASION_TYPOLOGIES, number_rings, plan_evasion, plant_evasion
from .evasion_lookalikes import plant_evasion_lookalikes
from .lookalikes import plant_lookalikes
from .market import TYPOLOGIES
from .population import populate
from .settlement import settle
from .sybil import SYBIL_TYPOLOGIES, generate_sybil
from .tables import build_tables
from .typologies import plan_rings, plant_rings
from .writer import write_snapshot

_STAGES = ("plan", "population", "lookalikes", "rings", "settlement", "tables")
_EVASION_STAGES = ("evasion_plan", "evasion_lookalikes", "evasion_rings")
_BENIGN_STAGES = ("benign_lookalikes",)


@dataclass(frozen=True)
class GeneratedSnapshot:
    """What was written: the directory, rows per table (labels excluded), rings per typology.

    ``lookalikes`` counts the legitimate look-alike groups per kind listed in
    ``lookalikes.csv`` (honest structures a detector must leave alone).
    """

    path: Path
    rows: dict[str, int]
    rings: dict[str, int]
    lookalikes: dict[str, int] = field(default_factory=dict)


def profile_typologies(profile: str) -> tuple[str, ...]:
    """The typologies a profile plants (the names ``labels.csv`` uses)."""
    if profile == "sybil":
        return SYBIL_TYPOLOGIES
    return TYPOLOGIES + (EVASION_TYPOLOGIES if profile == "evasion" else ())


def generate_snapshot(out_dir: Path | str,
                      config: GeneratorConfig = GeneratorConfig(),
                      ) -> GeneratedSnapshot:
    """Write a synthetic marketplace snapshot with planted rings into ``out_dir``.

    The tables follow docs/contract.md section 1 (``creators``, ``shops``,
    ``identity_links``, ``orders``, ``commissions``, ``affiliations``,
    ``violations``, ``allowlist``, in ``config.fmt``); ``labels.csv`` lists every
    member of every planted ring (``ring_id, account_type, account_id,
    typology``) and ``lookalikes.csv`` the honest members of every legitimate
    look-alike group (``group_id, account_type, account_id, kind``), both for
    evaluation only. ``config.profile`` picks the marketplace (see
    :class:`GeneratorConfig`). For demos, tests and benchmarks: never part of a
    production load.

    Returns
    -------
    GeneratedSnapshot
        The directory, the rows written per table and the rings planted per typology.

    Example
    -------
    >>> import tempfile
    >>> made = generate_snapshot(tempfile.mkdtemp(), GeneratorConfig(scale=0.02, seed=1))
    >>> sorted(made.rings) == sorted(TYPOLOGIES)
    True
    >>> (made.path / "labels.csv").exists()
    True
    """
    path = Path(out_dir)
    if config.profile == "sybil":
        tables, labels, lookalikes, rings = generate_sybil(config.scale, config.seed)
        rows = write_snapshot(path, tables, labels, fmt=config.fmt, lookalikes=lookalikes)
        return GeneratedSnapshot(path=path, rows=rows, rings=rings,
                                 lookalikes=_kinds(lookalikes))

    evasion = config.profile == "evasion"
    benign = config.profile == "benign"
    sizes = Sizes.for_scale(config.scale)
    names = _STAGES + (_EVASION_STAGES if evasion else ()) + (_BENIGN_STAGES if benign else ())
    seeds = np.random.SeedSequence(config.seed).spawn(len(names))
    rng = {stage: np.random.default_rng(seed) for stage, seed in zip(names, seeds, strict=True)}

    specs = plan_rings(sizes.rings_per_typology, rng["plan"])
    if evasion:
        specs = number_rings(specs + plan_evasion(sizes.rings_per_typology, rng["evasion_plan"]),
                             rng["evasion_plan"])
    market = populate(sizes, specs, hard_negatives=config.hard_negatives, rng=rng["population"])
    if config.hard_negatives:
        plant_lookalikes(market, sizes, rng=rng["lookalikes"])
        if evasion:
            plant_evasion_lookalikes(market, sizes, rng=rng["evasion_lookalikes"])
        if benign:
            plant_benign_lookalikes(market, config.scale, rng=rng["benign_lookalikes"])
    plant_rings(market, rng=rng["rings"])
    if evasion:
        plant_evasion(market, rng=rng["evasion_rings"])
    ledger = settle(market, rng=rng["settlement"])
    tables, labels, lookalikes = build_tables(market, ledger, rng=rng["tables"])
    del market, ledger

    rows = write_snapshot(path, tables, labels, fmt=config.fmt, lookalikes=lookalikes)
    rings = {typology: sum(spec.typology == typology for spec in specs)
             for typology in profile_typologies(config.profile)}
    return GeneratedSnapshot(path=path, rows=rows, rings=rings, lookalikes=_kinds(lookalikes))


def _kinds(lookalikes: pa.Table) -> dict[str, int]:
    """Look-alike groups per kind."""
    frame = lookalikes.select(["group_id", "kind"]).to_pandas().drop_duplicates()
    return {str(kind): int(n) for kind, n in frame["kind"].value_counts().sort_index().items()}
