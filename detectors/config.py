"""Every tuning knob of the detectors, in one place, with the reason for its default.

Defaults are chosen for marketplaces the detectors never saw, not for the
synthetic generator: hub identifiers shared by thousands of honest accounts
(carrier NAT, payment aggregators) are capped by rarity, sharing inside a
declared agency is expected, and a snapshot that carries only some signals
(identity links with header-only orders) still gives sensible results, because
each signal only ever adds evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _type_weights() -> dict[str, float]:
    # How much one identifier shared by exactly two accounts says that they are one operator.
    # A payout account is where the money goes: sharing it is the strongest tell. A phone
    # (SIM / verification number) and a device (hardware fingerprint) are personal; an
    # email is personal but cheap to share inside a household; an IP is shared by whole
    # offices, homes and carriers, so it only ever corroborates.
    return {"payout_account": 1.0, "phone": 0.7, "device": 0.6, "email": 0.5, "ip": 0.15}


def _max_sharing() -> dict[str, int]:
    # Beyond this many accounts an identifier is a hub (carrier NAT, aggregator, shared
    # studio kit) and says nothing about any one pair: it is dropped, not merged.
    # Phone farms run tens of accounts per device, hence the device allowance.
    return {"payout_account": 60, "phone": 60, "device": 60, "email": 30, "ip": 40}


@dataclass(frozen=True)
class IdentityConfig:
    """Identity rings: accounts that are one operator, linked by what they share."""

    type_weights: dict[str, float] = field(default_factory=_type_weights)
    max_sharing: dict[str, int] = field(default_factory=_max_sharing)
    #: Accounts are linked when their summed, rarity-weighted sharing reaches this (and an
    #: account joins a group when its ties to the group's members sum to it). 0.9 means:
    #: a device and a phone, or a phone and an email between two accounts; a single shared
    #: device (a family tablet) or an IP never suffices alone. A type whose weight alone
    #: reaches it (a payout account) is decisive: everyone paid into one payout account,
    #: short of the hub cap and the allowlist, is one group.
    link_threshold: float = 0.9
    #: Identifier types whose sharing inside one declared agency is expected: studio
    #: phones, office IPs, shared cameras, and the agency's payout account that collects
    #: its creators' commissions. Sharing with anyone outside the agency still counts.
    agency_expected_types: tuple[str, ...] = ("ip", "phone", "device", "email", "payout_account")
    #: An identity ring needs this many operator accounts (creators and sellers).
    min_operator_accounts: int = 3
    #: Components larger than this are split with Leiden (modularity) into the rings inside.
    max_ring_accounts: int = 40
    leiden_resolution: float = 1.0


@dataclass(frozen=True)
class CollusionConfig:
    """Collusion rings: creators and shops trading commission among themselves."""

    #: A creator-shop pair needs this many attributed orders before its trade is judged.
    #: Rings spread their fake orders thinly over many pairs, so few orders are judged,
    #: with the refund share smoothed toward the market's by ``prior_orders`` orders.
    min_pair_orders: int = 2
    prior_orders: float = 3.0
    #: Refund-after-commission share above which a pair's trade is abnormal. Honest
    #: refund rates run 2-10%; refunds *after* the commission was paid are rarer still.
    refund_after_share: float = 0.25
    #: Commission rate this many times the shop's (or category's) median is inflated.
    rate_inflation: float = 1.5
    #: Orders per distinct buyer above which the pair is fed by a small repeat pool.
    orders_per_buyer: float = 3.0
    #: A pair is suspicious with at least this many of the three signals above.
    min_signals: int = 2
    #: A shop with one abnormal creator is complicit only when that trade is at least this
    #: share of its attributed orders (otherwise it is a victim of self-purchase).
    complicit_share: float = 0.3
    #: Two creators are tied when this many buyers bought through both on suspicious pairs.
    min_shared_buyers: int = 3
    #: A ring needs at least this many creators and shops together, and this many creators:
    #: one creator's abnormal trade is commission abuse, reported by that detector.
    min_ring_accounts: int = 3
    min_creators: int = 2
    leiden_resolution: float = 1.0
    max_ring_accounts: int = 40


@dataclass(frozen=True)
class AbuseConfig:
    """Commission abuse: self-purchase, self-dealing, refund-after-commission."""

    #: Identifier types that make a buyer (or seller) the same person as a creator.
    strong_types: tuple[str, ...] = ("payout_account", "phone", "device", "email")
    #: Identifiers shared more widely than this are hubs, not personal (see IdentityConfig).
    max_sharing: int = 10
    #: A self-purchase case needs this many self-attributed orders; one order through a
    #: relative's link is noise, a habit is a scheme.
    min_self_orders: int = 3
    #: Self-dealing needs this many commissioned orders at the seller's own shop.
    min_self_dealing_orders: int = 3


@dataclass(frozen=True)
class ScoringConfig:
    """How evidence becomes a score (see :mod:`ringwatch.detectors.scoring`)."""

    max_evidence_weight: float = 0.9
    #: Share of the score decided by commission at stake, scaled by the market's 95th
    #: percentile of commission per creator; the rest is the strength of the evidence.
    money_share: float = 0.2


@dataclass(frozen=True)
class MatchingConfig:
    """Stable ring ids across runs."""

    #: A new ring keeps an old ring's id when their account members overlap this much.
    jaccard: float = 0.5


@dataclass(frozen=True)
class DetectionConfig:
    """All detector settings; ``DetectionConfig()`` is the documented default."""

    identity: IdentityConfig = field(default_factory=IdentityConfig)
    collusion: CollusionConfig = field(default_factory=CollusionConfig)
    abuse: AbuseConfig = field(default_factory=AbuseConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    seed: int = 42
