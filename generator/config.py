"""What to generate: the public knobs, and the table sizes they imply.

``GeneratorConfig`` is what callers choose (how big, which seed, which format);
``Sizes`` turns the one ``scale`` knob into every count the stages need, so the
whole marketplace grows in proportion and no stage invents its own size.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import RingwatchError

FORMATS = ("csv", "csv.gz", "parquet")
#: ``plain``: the marketplace with the four typologies and everyday look-alikes;
#: ``evasion``: the same plus farms and collusion rings using evasion tactics, and
#: benign look-alikes at least as hard; ``sybil``: identity links only (payout
#: accounts as wallets), shaped like airdrop sybil data; ``benign``: plain plus many honest
#: structures at scale that look like rings (boosted campaigns, high-refund categories, flash
#: sales, households, dorms, agencies paid into one account, brand teams, ...).
PROFILES = ("plain", "evasion", "sybil", "benign")


class GeneratorConfigError(RingwatchError, ValueError):
    """A generator setting that cannot produce a snapshot (say which, and why)."""


@dataclass(frozen=True)
class GeneratorConfig:
    """Settings of one synthetic marketplace snapshot.

    Parameters
    ----------
    scale:
        Size of the marketplace: 1.0 is about 100,000 rows over all tables,
        10.0 about a million, 100.0 about ten million. Every count (accounts,
        orders, planted rings) grows in proportion.
    seed:
        The only source of randomness: the same seed writes byte-identical files.
    hard_negatives:
        Plant legitimate look-alikes (agencies sharing a studio, families sharing
        a device, carrier-grade NAT, a payment aggregator, a hit shop, premium
        creators) that a careless detector would flag.
    fmt:
        File format of the tables: ``csv``, ``csv.gz`` or ``parquet``
        (``labels.csv`` and ``lookalikes.csv`` are always CSV).
    profile:
        Which marketplace (see ``PROFILES``): ``plain`` (the default; the same
        seed writes the same tables as before profiles existed), ``evasion``
        (plain plus evasive rings and harder look-alikes), ``sybil``
        (identity links only, heavy-tailed sybil groups among exchange hubs)
        or ``benign`` (plain plus many honest look-alikes at scale, drawn per
        seed: see ``benign_lookalikes``). The benchmark runs detectors on all
        of them, so a detector tuned on one is judged on the others.
    """

    scale: float = 1.0
    seed: int = 7
    hard_negatives: bool = True
    fmt: str = "csv"
    profile: str = "plain"

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise GeneratorConfigError(f"seed must be a non-negative integer, got {self.seed!r}")
        if not self.scale > 0:
            raise GeneratorConfigError(f"scale must be > 0, got {self.scale!r}")
        if self.scale > 10_000:
            raise GeneratorConfigError(f"scale {self.scale!r} is beyond what fits in memory")
        if self.fmt not in FORMATS:
            raise GeneratorConfigError(f"fmt must be one of {', '.join(FORMATS)}, got {self.fmt!r}")
        if self.profile not in PROFILES:
            raise GeneratorConfigError(
                f"profile must be one of {', '.join(PROFILES)}, got {self.profile!r}")


@dataclass(frozen=True)
class Sizes:
    """Every count the stages need, derived from ``scale`` alone.

    Counts of honest accounts exclude the accounts planted in rings; the ring
    plan adds those on top.
    """

    creators: int
    sellers: int
    buyers: int
    organic_orders: int
    attributed_orders: int
    rings_per_typology: int
    agency_share: float
    big_agencies: int
    cgnat_ips: int
    families: int
    aggregators: int
    hit_shops: int
    loyal_buyers_per_hit_shop: int
    premium_creators: int
    # The evasion profile's look-alikes.
    studio_agencies: int
    onboarding_bursts: int
    households: int
    hubs: int
    hub_users: int  # per hub

    @classmethod
    def for_scale(cls, scale: float) -> Sizes:
        """Sizes of a marketplace of ``scale`` (1.0 ≈ 100,000 rows in total)."""

        def count(per_unit: float, minimum: int = 1) -> int:
            return max(minimum, round(per_unit * scale))

        # Hit shops grow in number and in loyal following (about 350 buyers per unit of scale);
        # so do the evasion profile's hubs (about 2,000 users per unit of scale and kind).
        hit_shops = max(1, round(scale ** 0.5))
        return cls(
            creators=count(2_000, 20),
            sellers=count(800, 8),
            buyers=count(6_000, 60),
            organic_orders=count(17_000, 150),
            attributed_orders=count(9_000, 60),
            rings_per_typology=count(10),
            agency_share=0.18,
            big_agencies=count(2),
            cgnat_ips=count(3),
            families=count(120, 2),
            aggregators=count(1),
            hit_shops=hit_shops,
            loyal_buyers_per_hit_shop=max(20, round(350 * scale / hit_shops)),
            premium_creators=count(6, 2),
            studio_agencies=count(3),
            onboarding_bursts=count(2),
            households=count(80, 2),
            hubs=hit_shops,
            hub_users=max(40, round(2_000 * scale / hit_shops)),
        )
