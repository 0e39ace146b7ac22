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

from . import type_defaults


@dataclass(frozen=True)
class IdentityConfig:
    """Identity rings: accounts that are one operator, linked by what they share."""

    #: Per identifier type (defaults: ``ringwatch.domain.member_types``, with their reasons):
    #: how much one identifier shared by exactly two accounts says that they are one operator,
    #: and beyond how many accounts it is a hub that says nothing (dropped, not merged).
    #: Every identifier type needs both: a config without one is refused when it is built.
    type_weights: dict[str, float] = field(default_factory=type_defaults.type_weights)
    max_sharing: dict[str, int] = field(default_factory=type_defaults.max_sharing)
    #: Per type, how many accounts may use an identifier for it to count as personal (full
    #: weight per pair); beyond it the weight falls with rarity, to nothing at the hub cap.
    #: This is what stops chaining: a payout account shared by 40 accounts is no longer
    #: decisive just because it is a payout account.
    personal_sharing: dict[str, int] = field(default_factory=type_defaults.personal_sharing)
    #: Accounts are linked when their summed, rarity-weighted sharing reaches this (and an
    #: account joins a group when its ties to the group's members sum to it). 0.9 means:
    #: a device and a phone, or a phone and an email between two accounts; a single shared
    #: device (a family tablet) or an IP never suffices alone. An identifier whose pair
    #: weight alone reaches it (a personal payout account) is decisive: everyone on it
    #: starts in one group.
    link_threshold: float = 0.9
    #: Inside one declared agency, sharing is expected only where it looks like studio kit:
    #: an identifier used by at least ``studio_min_accounts`` members, and by at least
    #: ``studio_share`` of the agency or among the agency's few (``studio_kit_per_type``)
    #: shared identifiers of its type: the office IP, the studio phones, one central payout
    #: account. Small-group sharing inside an agency (payout accounts split over pairs and
    #: threes, device chains) counts as it does anywhere: registering as an agency is
    #: exactly what a farm would do to hide.
    agency_expected_types: tuple[str, ...] = field(default_factory=type_defaults.all_types)
    studio_min_accounts: int = 3
    studio_share: float = 0.5
    studio_kit_per_type: int = 2
    #: Ties of at least this weight through a personal identifier (see
    #: ``personal_sharing``: a device two accounts share) chain groups into one when the
    #: chain holds ``chain_min_operators`` operator accounts or more: a family shares a
    #: tablet among three, a farm rotating devices hands each account a device shared with
    #: the next one only, and the chain is long.
    chain_weight: float = 0.5
    chain_min_operators: int = 6
    #: A ring's longest chain through one identifier type is judged against the chains the
    #: snapshot's own links of that type make when shuffled (see
    #: :mod:`ringwatch.detectors.identifier_chains`), this many times. A chain judged
    #: beyond chance is read at about the resolution the shuffles give (one chance chain
    #: in ten shuffles reads as 0.1 per market), so ten already separate a farm's twenty
    #: accounts from a family's three; each costs about one pass over the type's links.
    chain_shuffles: int = 10
    #: An account alone on an identifier of these types joins the group that holds at
    #: least ``absorb_share`` of the identifier's users (a majority): the farm's busy phone
    #: is the farm's even when too many use it to be personal. IPs are left out (offices,
    #: carriers).
    absorb_types: tuple[str, ...] = field(default_factory=type_defaults.personal_types)
    absorb_share: float = 0.5
    #: A type is shared every day in this market when more than this share of the accounts
    #: using it share one of its identifiers below the hub cap (a marketplace: a few percent
    #: for payout accounts, about 10 % with many farms; wallet transfer data: a fifth to a
    #: third), over at least ``everyday_min_accounts`` such accounts. Pairs of such a type
    #: count ``everyday_discount`` of their weight unless both accounts are creators
    #: registered within ``co_registration_days`` (made in one campaign), or the identifier
    #: is in lockstep.
    everyday_sharing_rate: float = 0.15
    everyday_min_accounts: int = 200
    everyday_discount: float = 0.25
    co_registration_days: float = 30.0
    #: Temporal lockstep (see :mod:`ringwatch.detectors.lockstep`): an identifier shared
    #: by ``lockstep_min_accounts`` or more accounts, at least ``lockstep_share`` of them
    #: first seen on it within one of ``lockstep_windows`` (hours, and the most of the
    #: market's links of that type that may fall in such a window: a day against 2 %, a
    #: week against 4 %, a month against 8 %; a uniform market puts well under 1 % of a
    #: year in a day), is decisive up to ``lockstep_max_sharing`` accounts (a funder wallet
    #: that paid a thousand sybils in one campaign). IPs are left out: an office's
    #: onboarding day looks the same.
    lockstep_types: tuple[str, ...] = field(default_factory=type_defaults.personal_types)
    lockstep_min_accounts: int = 5
    lockstep_share: float = 0.8
    lockstep_windows: tuple[tuple[float, float], ...] = ((24.0, 0.02), (168.0, 0.04),
                                                         (720.0, 0.08))
    lockstep_max_sharing: int = 2000
    #: Weak identifier types (a proxy IP) whose accounts are joined into one group when
    #: they took them up in lockstep (within a day, market quiet; each identifier with at
    #: least ``lockstep_join_min_accounts`` of them, identifiers sharing accounts taken
    #: together), their creators (``lockstep_min_accounts`` or more) registered in a burst
    #: too, and at least ``lockstep_min_pairs`` decisive pairs sit among them: a farm
    #: registered in one sitting. An onboarding day has no decisive pair inside.
    lockstep_join_types: tuple[str, ...] = field(default_factory=type_defaults.lockstep_join_types)
    lockstep_join_min_accounts: int = 3
    lockstep_min_pairs: int = 1
    #: An identity ring needs this many operator accounts (creators and sellers).
    min_operator_accounts: int = 3
    #: A ring of at most this many accounts whose shared identifiers are one closed bundle
    #: (every one used by exactly the ring's accounts, by nobody else) is what one home
    #: leaves: a family's tablet, its email and its joint account. Most homes hold two to
    #: four people, so four accounts; beyond that a closed bundle is more than a home. Such
    #: a ring is scored by what such bundles mean in the snapshot (``scoring.HouseholdPrior``).
    household_accounts: int = 4
    #: Groups larger than this are split with Leiden, CPM objective, at ``split_density``
    #: (in link weight per pair of accounts): a part stays whole only where its accounts
    #: are tied that densely, so a ring is large only where its ties are dense. CPM, not
    #: modularity, because modularity's resolution limit leaves parts of hundreds of
    #: loosely chained accounts intact.
    max_ring_accounts: int = 40
    split_density: float = 0.1
    leiden_resolution: float = 1.0

    def __post_init__(self) -> None:
        type_defaults.check_identity_types(max_sharing=self.max_sharing,
                                           type_weights=self.type_weights)


@dataclass(frozen=True)
class CollusionConfig:
    """Collusion rings: creators and shops trading commission among themselves."""

    #: A creator-shop pair needs this many attributed orders before its trade is judged at
    #: all; whether its counts mean anything is then the tests' business, not this floor's.
    min_pair_orders: int = 2
    #: Pairs are screened one by one at this unadjusted level: a screen proposes rings, it
    #: accuses no one. A proposed ring (and a thin block) is then judged on its pooled trade
    #: with false-discovery control at ``fdr`` over every ring proposed.
    screen_alpha: float = 0.05
    #: A pair with this many screened signals proposes a ring (one: a camouflaged ring's pairs
    #: each show one fact, its pooled trade shows several; the judgement is the ring's).
    screen_min_signals: int = 1
    #: Every count a pair or block raises (refunds after the commission, repeat orders) is an
    #: exact binomial test against the honest rate of the same shop and its category (see
    #: ``collusion_rings.shop_nulls``); all of a run's tests go through Benjamini-Hochberg
    #: together and a signal is a discovery at this false-discovery rate: of twenty signals
    #: raised, about one may be chance, and a pair needs two independent signals
    #: (``min_signals``) before it is suspicious at all.
    fdr: float = 0.05
    #: A ring's pooled tests weigh what their q-values can say at most (the
    #: Sellke-Bayarri-Berger bound, ``significance.evidence_weight``), capped here: a
    #: q-value of 0.003 already reaches it, and beyond that the trade's numbers say no
    #: more about whether it is collusion or an honest shop's bad month.
    max_test_weight: float = 0.95
    #: The tests' null is not the honest rate itself but this many times it (and at least
    #: the floors below): honest shops vary around their category, and a pair must differ
    #: from its peers by a margin a reviewer would call abnormal, not merely detectably.
    refund_lift: float = 2.0
    #: Honest refund-after-commission shares run 2-10 %; below 10 % no share is abnormal.
    refund_floor: float = 0.1
    #: A buyer ordering again is ordinary; a pair is a repeat pool only beyond one repeat
    #: order in two (two orders per buyer), and beyond twice its shop's own repeat share.
    repeat_floor: float = 0.5
    #: Organic orders a shop needs before its own refund and repeat shares outweigh its
    #: category's (a smoothing prior; the category is likewise smoothed toward the market).
    null_prior_orders: float = 20.0
    #: Commission rate this many times the higher of the shop's and the category's median
    #: is inflated: a rate every creator of the shop gets is the shop's campaign, no signal.
    rate_inflation: float = 1.5
    #: A rate is judged on at least this many commissions (one boosted order is a promo).
    min_rate_commissions: int = 3
    #: A proposed ring or thin block is kept with at least this many of its pooled signals
    #: (refunds, rate, repeat pool, buyers shared across its creators), each a discovery:
    #: one abnormal fact has honest explanations, two independent ones rarely do.
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
    #: Thin collusion (see :func:`~ringwatch.detectors.collusion_rings.thin_blocks`): two
    #: creators are tied when they share at least ``block_min_shared_buyers`` buyers making
    #: up ``block_min_jaccard`` of their buyers together (a popular creator's crowd overlaps
    #: everyone's a little); a block of tied creators is kept when ``block_min_fill`` of its
    #: creator-shop pairs trade and its pooled trade shows ``min_signals`` of the signals a
    #: pair is judged by (its refunds judged against the market's share).
    block_min_shared_buyers: int = 2
    block_min_jaccard: float = 0.15
    block_min_fill: float = 0.3
    #: A block's pooled refunds after the commission are tested against at least this many
    #: times the share of the market's other trade, besides its shops' own honest share.
    block_refund_lift: float = 3.0
    #: A block's buyer pool is shared when this share of its buyers buy through two or more
    #: of its creators (fans of two similar creators do, but not most of a crowd).
    block_shared_buyers: float = 0.6


@dataclass(frozen=True)
class AbuseConfig:
    """Commission abuse: self-purchase, self-dealing, refund-after-commission."""

    #: Identifier types that make a buyer (or seller) the same person as a creator.
    strong_types: tuple[str, ...] = field(default_factory=type_defaults.personal_types)
    #: Identifiers shared more widely than this are hubs, not personal (see IdentityConfig).
    max_sharing: int = 10
    #: A self-purchase case needs this many self-attributed orders; one order through a
    #: relative's link is noise, a habit is a scheme.
    min_self_orders: int = 3
    #: Self-dealing needs this many commissioned orders at the seller's own shop.
    min_self_dealing_orders: int = 3


@dataclass(frozen=True)
class BurstConfig:
    """Registration bursts: evidence on a ring whose creators registered together.

    At least ``share`` of a ring's creators (and ``min_creators``) registered within
    one of ``windows`` (hours, and the most of the market's other registrations that
    may fall in such a window: a day against 2 %, a week against 4 %, a month against
    8 %) while the market was that quiet: an honest onboarding day moves the market
    with it and is no evidence. The narrowest window that holds is reported.
    Evidence only, never a ring on its own.
    """

    windows: tuple[tuple[float, float], ...] = ((24.0, 0.02), (168.0, 0.04), (720.0, 0.08))
    min_creators: int = 3
    share: float = 0.8
    weight: float = 0.5


@dataclass(frozen=True)
class LockstepConfig:
    """Lockstep rings: creators registered in one window who crowd onto the same shops.

    The test is against chance in the market itself (see
    :mod:`ringwatch.detectors.lockstep_rings`), so no threshold depends on the
    market's size: a cohort of creators registered in one window, a shop its
    creators promote, and how many of the cohort would promote it by chance.
    """

    #: Cohort windows, in hours: a day (a farm set up in one sitting) and a week (one set
    #: up over a few evenings); each is also tried shifted by half its width.
    window_hours: tuple[float, ...] = (24.0, 168.0)
    #: At most this many lockstep cells are expected by chance over the whole market
    #: (a Bonferroni bound over every cell looked at): one false cell in a hundred markets.
    alpha: float = 0.01
    #: A cell, and a ring, needs at least three creators: two registered on one day who
    #: promote one shop is too common to mean anything.
    min_creators: int = 3
    #: A lockstep shop's evidence weighs what its chance (Bonferroni over every cell looked
    #: at) can say at most (``significance.evidence_weight``), capped here: one lockstep shop
    #: alone never makes a certain ring.
    max_weight: float = 0.9
    #: Evidence items shown per ring, strongest shops first.
    shown_shops: int = 4
    #: A creator registered in a ring's cohort window joins it when it shares an identifier
    #: with the ring's creators that at most this many accounts use: a farm's proxy IP or
    #: a payout account two of its accounts split, not a carrier's NAT or a venue's Wi-Fi
    #: shared by hundreds (and only a ring lockstep cells already made is ever extended).
    mate_max_sharing: int = 20
    #: A group at least this much of whose creators are one seller's own team (they promote
    #: that seller's shops and no one else's) is that team, not a ring: four in five leaves
    #: room for a farm that planted one or two such accounts, and a smaller share only
    #: discounts the group's coordination evidence by as much.
    max_explained: float = 0.8


@dataclass(frozen=True)
class BlockConfig:
    """Coordinated blocks: creators, shops and buyers trading among themselves beyond chance.

    The catch-all for tactics no named rule describes (see
    :mod:`ringwatch.detectors.coordinated_blocks`). Every block found in the
    market is judged against the blocks the same peeling finds in shuffles of
    the same market's trade, so no knob here is a density threshold.
    """

    #: Blocks peeled off the market one after another, densest first. Each costs one pass
    #: of peeling over the tensor; a market holds few blocks beyond chance, and once the
    #: peeling returns the market's ordinary crowds the rest are ordinary too.
    max_blocks: int = 40
    #: Shuffles of the market's trade the null is estimated from (each buyer keeps its
    #: purchases, each creator-shop pair its trade; only who bought through which pair is
    #: shuffled). Chance's densest block is a maximum, and a maximum over three shuffles
    #: still let one honest block in twenty pass on held-out markets; six cost about 0.15 s
    #: more per 200,000 rows (the peeling is a small part of a run) and halved that there.
    null_shuffles: int = 6
    #: Blocks peeled from each shuffle: the first is chance's densest, the next ones fill in
    #: chance's best at other sizes.
    null_blocks: int = 6
    #: A block holds at most this many accounts. Average-mass density favours size: a
    #: market segment of busy buyers is about as dense as a ring of thirty accounts, and
    #: peeling it off whole would take every ring inside it along. A ring is tens of
    #: accounts (named-rule rings are capped at 40 before their buyers); chance's densest
    #: blocks are held to the same cap, so the comparison stays fair.
    max_members: int = 60
    #: A block is judged against chance's densest blocks with between ``1 / size_band`` and
    #: ``size_band`` times its members: a small ring is not compared with a large crowd.
    size_band: float = 2.0
    #: A block is flagged at this many times the density of chance's densest block of
    #: similar size, and only while without its busiest creator, and without its busiest
    #: shop, it still reaches ``min_lift_without`` of chance's densest (one popular account's
    #: crowd is not coordination). Chance's densest is already the maximum over every state
    #: of every null peeling, so a quarter above it is far out in chance's tail; on the
    #: generator's markets no block of honest accounts reached 1.15.
    min_lift: float = 1.25
    min_lift_without: float = 0.9
    #: A coordinated block needs several parties on each side: at least this many creators,
    #: shops and buyers (one creator's fans, one shop's regulars or one buyer are not a ring).
    min_creators: int = 3
    min_shops: int = 2
    min_buyers: int = 3
    #: FRAUDAR's camouflage-resistant column weights: an entry counts
    #: ``1 / log(degree + weight_offset)`` in each mode, so a shop or buyer with thousands of
    #: entries weighs a third of a ring member's and neither hides a block nor makes one.
    weight_offset: float = 5.0
    #: A flagged block's density weighs ``1 - min_lift / (2 * lift)``: a block that just
    #: passes the test is as likely a ring as not (0.5, likelihood ratio 2), one twice as far
    #: beyond chance 0.75; its spread test (below) weighs what its doubled q-value is worth,
    #: and the stronger of the two counts. Capped as the scorer caps any one item
    #: (``ScoringConfig.max_evidence_weight``): a dense block is one kind of fact, never
    #: proof. A tighter cap (0.9, once) held the blocks' scores below what their tests say:
    #: where the collusion rules were left out, the blocks that caught the rings scored
    #: 0.966 on average and were fraudulent 99.5 % of the time (tuning seeds).
    max_weight: float = 0.95
    #: The spread test (``coordinated_blocks.spread_test``), for blocks too thin for the
    #: density test at scale (chance's densest block grows with the market): a buyer is
    #: surprising when its reach over the block's creators has a tail at most
    #: ``spread_alpha``; the block's count of surprising buyers is a discovery at
    #: ``spread_fdr``, Benjamini-Hochberg over every shaped block of the run.
    spread_alpha: float = 0.05
    spread_fdr: float = 0.05
    #: ... and only while the count without the block's busiest shop still has a p-value
    #: below 1/e, where it stops being any evidence at all (the Bayes-factor bound of
    #: ``significance.bayes_factor_bound`` reaches 1). It is a shape check, as
    #: ``min_lift_without`` is for density, not a second discovery: a hit shop's loyal crowd
    #: (13 creators, 8 shops, 20 buyers, one shop holding 44 of their 61 orders) has none
    #: left (p = 1), while a ring of two to four shops keeps some (p 0.1-0.3 on tuning seeds).
    spread_without: float = 0.3679
    #: Local blocks (``coordinated_blocks.local_blocks``): the communities the peeling also
    #: searches are drawn from the buyers who reached at least this many creators. The spread
    #: test's evidence begins at a buyer's third creator, so a buyer of two ties nothing it
    #: could weigh and the market's many two-creator buyers would only blur the communities;
    #: and as the search chose its buyers for their reach, a local block's spread test counts
    #: each buyer's reach beyond this many, not two.
    local_reach: int = 3
    #: Leiden passes over each local search's graph (those buyers' cells; the creator-shop
    #: pairs that traded, ``coordinated_blocks.shop_blocks``). Until stable costs 1.6 s on
    #: the buyers' graph at 1 M rows, two passes 0.1 s; the communities only propose where
    #: to peel (the spread test judges), and two passes recalled as many planted rings on
    #: tuning markets.
    local_passes: int = 2
    #: Accounts named in evidence sentences.
    shown: int = 3


@dataclass(frozen=True)
class ScoringConfig:
    """How evidence becomes a score (see :mod:`ringwatch.detectors.scoring`)."""

    #: No single item is proof: its likelihood ratio is capped at 1 / (1 - 0.95) = 20.
    max_evidence_weight: float = 0.95
    #: Log-odds before the evidence is weighed. A detector only proposes a group that
    #: already passed its thresholds, so before its evidence counts it is as likely a ring
    #: as not (0); the calibration table of `ringwatch eval` is the check on this choice.
    prior_log_odds: float = 0.0
    #: The k-th item of one kind of evidence counts this to the power k-1 of its log-odds:
    #: repeats of one fact corroborate a little, independent kinds in full.
    same_kind_decay: float = 0.5
    #: The highest score a ring whose evidence is timing alone can get (see
    #: :func:`ringwatch.detectors.scoring.timing_only`), in the market where acting in step
    #: means the most (``scoring.TimingPrior`` lowers it where it means less): well short of
    #: certain, since honest cohorts act in step as farms do.
    timing_only_cap: float = 0.6
    #: The same for a ring that one household explains (its shared identifiers one closed
    #: bundle of a home's few accounts, ``IdentityConfig.household_accounts``, and nothing
    #: else against it): a family and a three-phone farm leave the same trace, so such a
    #: ring goes to a reviewer as an open question; ``scoring.HouseholdPrior`` lowers it
    #: where such bundles are seldom more.
    household_cap: float = 0.6


@dataclass(frozen=True)
class RecalibrationConfig:
    """Learning from reviewers: a kind's scores refitted on its confirmed and dismissed rings.

    See :mod:`ringwatch.detectors.recalibration`. The detector's own score is a
    reading of its evidence; on a market we never saw, the reviewers' verdicts
    are the only ground truth there is, so once they are enough they decide
    what a score of that kind means.
    """

    #: Off: every ring keeps the detector's score (recorded as such in the run).
    enabled: bool = True
    #: A kind is refitted once this many of its rings have a verdict: below about thirty a
    #: reliability curve across the score range is mostly noise, and the detector's own
    #: reading is the better guess.
    min_verdicts: int = 30
    #: ... and a curve (isotonic) is fitted only when at least this many of them are confirmed,
    #: and as many dismissed: a fit that has seen only one outcome (or a couple of the other)
    #: cannot say where along the score range the other one lies. With fewer, the kind's
    #: scores are moved by one constant in log-odds so that they read its confirmed share
    #: (``recalibration.logit_shift``): the level is learnt, the ranking kept.
    min_each: int = 5
    #: Each step of the fitted curve is smoothed with a beta prior worth this many verdicts,
    #: centred on the kind's share of confirmed verdicts: a step resting on three verdicts
    #: that all agree moves three sevenths of the way from that share, never to 0 or 1;
    #: one resting on a hundred is barely moved.
    prior_verdicts: float = 4.0
    #: Recalibrated scores stay within these bounds: verdicts are a sample, and a sample
    #: never makes a ring certain (nor certainly honest).
    floor: float = 0.01
    ceiling: float = 0.99


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
    bursts: BurstConfig = field(default_factory=BurstConfig)
    lockstep: LockstepConfig = field(default_factory=LockstepConfig)
    blocks: BlockConfig = field(default_factory=BlockConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    recalibration: RecalibrationConfig = field(default_factory=RecalibrationConfig)
    seed: int = 42
    #: Detectors left out of a run, by their name in ``run.json``'s ``detectors``
    #: (``"collusion_rings"``, ...): for measuring what the others catch without one.
    skip: tuple[str, ...] = ()
