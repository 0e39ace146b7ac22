"""``python -m ringwatch.generator``: write a synthetic snapshot from the command line."""

from __future__ import annotations

import argparse
import sys
import time

from .config import FORMATS, PROFILES, GeneratorConfig, GeneratorConfigError
from .snapshot import generate_snapshot


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate, print rows per table and rings per typology."""
    parser = argparse.ArgumentParser(
        prog="python -m ringwatch.generator",
        description="Write a synthetic marketplace snapshot with planted fraud rings "
                    "and labels.csv (for demos, tests and benchmarks).")
    parser.add_argument("--out", required=True, help="directory to write into")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1 is about 100,000 rows in total, 100 about 10 million")
    parser.add_argument("--seed", type=int, default=7, help="the same seed writes the same files")
    parser.add_argument("--no-hard-negatives", action="store_true",
                        help="do not plant legitimate look-alikes")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="csv")
    parser.add_argument("--profile", choices=PROFILES, default="plain",
                        help="plain marketplace, plus evasive rings, sybil-style identity "
                             "links only, or plain plus honest look-alikes at scale (benign)")
    args = parser.parse_args(argv)
    try:
        config = GeneratorConfig(scale=args.scale, seed=args.seed,
                                 hard_negatives=not args.no_hard_negatives, fmt=args.fmt,
                                 profile=args.profile)
    except GeneratorConfigError as error:
        parser.error(str(error))
    began = time.perf_counter()
    made = generate_snapshot(args.out, config)
    for table, rows in made.rows.items():
        print(f"{table}: {rows:,} rows")
    print(f"total: {sum(made.rows.values()):,} rows")
    for typology, rings in made.rings.items():
        print(f"planted {typology}: {rings} rings")
    for kind, groups in made.lookalikes.items():
        print(f"look-alike {kind}: {groups} groups")
    print(f"wrote {made.path} in {time.perf_counter() - began:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
