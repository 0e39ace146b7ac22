"""Coordinated blocks: creators, shops and buyers trading among themselves far beyond chance.

The named detectors each look for one tactic (shared identifiers, refunds
after commission, inflated rates, a registration sitting). A ring that uses
none of them still has to do one thing: move orders between its own
creators, shops and buyers. In the creator x shop x buyer tensor of
attributed trade (one entry per cell a buyer ordered in, from the
``buyer_orders`` projection), that is a block: few accounts on each side, a
large share of their possible cells filled.

Search (M-Zoom / D-Cube, Shin et al. 2016-2017): the block of highest
arithmetic-average mass density ``mass / ((|C| + |S| + |B|) / 3)`` is peeled
greedily, each step removing, in the mode where that leaves the block
densest, every slice whose mass is at most its mode's average (vectorised:
the slices one step removes share no entry, so the density after each one is
a cumulative sum). The densest state seen is the block; its entries are
taken out and the next block is peeled, up to ``max_blocks``. Entries are
weighted as FRAUDAR (Hooi et al. 2016) weights columns: ``1 / log(degree +
5)`` in each mode, so a shop or buyer with thousands of entries can neither
hide a block (camouflage orders at popular shops weigh little) nor make one
(an honest crowd at a hit shop weighs little). The peeling walks toward the
market's densest part and sheds light slices on the way, a thin ring's
creators among them, so the same peeling also runs inside each community of
creators and buyers that buyers reaching three creators tie together
(:func:`local_blocks`), and of creators and the shops they promote
(:func:`shop_blocks`).

Judgement (against a null, not a threshold): the same peeling runs on
shuffles of the same market, in which every buyer keeps its number of
purchased cells and every creator-shop pair its trade, and only which buyer
bought through which pair is drawn at random. Every state of those peelings
is a block chance made; a found block is flagged only when its density is
``min_lift`` times that of chance's densest block of similar size (between
half and twice its members), and still about as dense as chance's densest
without its busiest creator and without its busiest shop, so that one
popular account's crowd is never a coordinated block. Blocks are held to
``max_members`` accounts: average-mass density favours size, and a whole
segment of busy buyers would otherwise be peeled off with every ring in it.
That leaves unflagged, by construction rather than by tuning: a hit shop's
loyal repeat crowd (one shop), a flash sale or a creator promoting a single
shop (one creator, one shop: at most 3 cells per member), a wholesale buyer
ordering dozens of times (one cell).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ringwatch.domain import RingKind
from ringwatch.wording import accounts, count

from .communities import groups
from .config import BlockConfig, DetectionConfig
from .context import MarketContext
from .detector import Detector, WorkedOn, attributed_orders
from .distinct import distinct
from .rings import Evidence, Finding, Member
from .significance import bh_qvalues, binomial_tail, evidence_weight

KIND = RingKind.COORDINATED_BLOCK
#: The tensor's modes, in the order of :attr:`TradeTensor.codes`.
MODES = ("creator", "shop", "buyer")
_BINS_PER_DOUBLING = 4


@dataclass(frozen=True)
class TradeTensor:
    """Attributed trade as a sparse creator x shop x buyer tensor, one entry per traded cell.

    ``codes[m]`` holds each entry's slice in mode ``m`` (see :data:`MODES`),
    ``names[m]`` the ids of that mode's slices; ``orders`` and ``refunded``
    (refunded after the commission was paid) are the cell's counts.
    """

    codes: tuple[np.ndarray, np.ndarray, np.ndarray]
    names: tuple[np.ndarray, np.ndarray, np.ndarray]
    orders: np.ndarray
    refunded: np.ndarray

    @property
    def sizes(self) -> tuple[int, int, int]:
        return tuple(len(n) for n in self.names)  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self.orders)


@dataclass(frozen=True)
class Block:
    """One peeled block: its slices per mode (codes), its entries and its weighted density."""

    slices: tuple[np.ndarray, np.ndarray, np.ndarray]
    entries: np.ndarray
    density: float

    @property
    def members(self) -> int:
        return sum(len(s) for s in self.slices)


def trade_tensor(ctx: MarketContext) -> TradeTensor:
    """The attributed trade of ``ctx`` as a tensor, slices with a single entry pruned.

    A slice with one entry adds one cell and one member to any block it is in:
    it can only belong to a block of at most three cells per member, which
    chance makes everywhere. Pruning it (twice: a pruned buyer can leave a
    creator with one entry) is what keeps the search to the market's busy part
    at 10 M rows.
    """
    orders = ctx["buyer_orders"]
    orders = orders[(orders["creator_id"] != "").to_numpy()]
    codes, names = [], []
    for column in ("creator_id", "shop_id", "buyer_id"):
        c, n = pd.factorize(orders[column])
        codes.append(c.astype(np.int64))
        names.append(np.asarray(n, dtype=object))
    keep = np.ones(len(orders), dtype=bool)
    for _ in range(2):
        for c in codes:
            keep &= np.bincount(c[keep], minlength=max(int(c.max(initial=-1)) + 1, 0))[c] >= 2
    kept = []
    for c, n in zip(codes, names, strict=True):
        used, compact = np.unique(c[keep], return_inverse=True)
        kept.append((compact.astype(np.int64), n[used]))
    return TradeTensor(tuple(k[0] for k in kept), tuple(k[1] for k in kept),  # type: ignore[arg-type]
                       orders["orders"].to_numpy(np.int64)[keep],
                       orders["refunded_after_commission"].to_numpy(np.int64)[keep])


def entry_weights(codes: tuple[np.ndarray, ...], sizes: tuple[int, ...], offset: float) -> np.ndarray:
    """FRAUDAR's column weights in every mode: ``log(2 + offset) / log(degree + offset)`` each.

    Normalised so that an entry whose slices all hold two entries (the least
    a pruned tensor has) weighs 1.
    """
    weight = np.ones(len(codes[0]))
    for c, n in zip(codes, sizes, strict=True):
        weight *= column_weight(np.bincount(c, minlength=n), offset)[c]
    return weight


def column_weight(degree: np.ndarray, offset: float) -> np.ndarray:
    """FRAUDAR's weight of a column (a slice) of each ``degree``: ``log(2 + offset) /
    log(degree + offset)``, 1 for a slice of two."""
    return math.log(2 + offset) / np.log(degree + offset)


class _Envelope:
    """Chance's densest block by size: the highest density any null peeling state had, per size bin.

    Sizes are binned at a quarter of a doubling; :meth:`at` answers for a size
    band around a block's size.
    """

    def __init__(self, largest: float) -> None:
        #: The largest size :meth:`at` may be asked about, band included.
        self.largest = largest
        self.best = np.zeros(_BINS_PER_DOUBLING * 64)

    @property
    def read_up_to(self) -> int:
        """Every size whose bin :meth:`at` may read is at most this: the peeling records
        (and orders) no state larger."""
        return math.ceil(2 ** ((int(_bin(np.array([self.largest]))[0]) + 1) / _BINS_PER_DOUBLING))

    def add(self, sizes: np.ndarray, densities: np.ndarray) -> None:
        np.maximum.at(self.best, _bin(sizes), densities)

    def at(self, size: int, band: float) -> float:
        if size * band > self.largest:
            raise ValueError(f"chance's densest block was kept up to {self.largest:g} members, "
                             f"not {size * band:g}")
        low, high = _bin(np.array([max(size / band, 1.0)])), _bin(np.array([size * band]))
        return float(self.best[int(low[0]):int(high[0]) + 1].max())


def _bin(sizes: np.ndarray) -> np.ndarray:
    return np.floor(_BINS_PER_DOUBLING * np.log2(np.maximum(sizes, 1))).astype(np.int64)


def densest_block(codes: tuple[np.ndarray, ...], sizes: tuple[int, ...], weight: np.ndarray,
                  alive: np.ndarray, trace: _Envelope | None = None, *,
                  max_members: int) -> Block | None:
    """The most suspicious block of the ``alive`` entries by greedy peeling (D-Cube, density policy).

    Each step looks at every mode, takes the slices whose mass is at most the
    mode's average, and removes them, lightest first, in the mode that leaves
    the densest block; every intermediate state of at most ``max_members``
    members is a candidate (and, with ``trace``, every state of a size the
    envelope is read at is recorded as a block chance made). Cost: a few
    bincounts over the remaining entries and slices per step, O(log) steps per
    mode; the slices a step removes are put in order only where a state that
    counts is reached (a market's first steps remove hundreds of thousands of
    buyers, whose order no state of 60 members depends on).
    """
    index = np.flatnonzero(alive)
    if not len(index):
        return None
    w = weight[index]
    # Slices are numbered afresh among those still in play (``ids``: their codes in ``codes``),
    # and again whenever the entries left are fewer than the slices: a step costs what is
    # left, not the whole market's slices (most of a step's passes are over slices).
    alive_codes = [c[index] for c in codes]
    present = [np.flatnonzero(np.bincount(c, minlength=n))
               for c, n in zip(alive_codes, sizes, strict=True)]
    ids = list(present)
    cur = [_renumbered(c, p, n) for c, p, n in zip(alive_codes, present, sizes, strict=True)]
    active = [np.ones(len(i), dtype=bool) for i in ids]
    removed_at = [np.full(n, np.iinfo(np.int64).max) for n in sizes]
    live = np.array([len(i) for i in ids], dtype=np.float64)
    exact = max(max_members, trace.read_up_to if trace is not None else 0)
    mass = float(w.sum())
    best = 3 * mass / live.sum() if live.sum() <= max_members else -1.0
    best_step, step = -1, 0
    while live.sum() > 0 and len(w):
        if sum(len(a) for a in active) > 2 * len(w) + 1024:
            for m in range(len(cur)):
                still = np.flatnonzero(active[m])
                cur[m] = _renumbered(cur[m], still, len(active[m]))
                ids[m], active[m] = ids[m][still], np.ones(len(still), dtype=bool)
        total = live.sum()
        options = []
        for m, c in enumerate(cur):
            if not live[m]:
                continue
            slice_mass = np.bincount(c, weights=w, minlength=len(active[m]))
            light = np.flatnonzero(active[m] & (slice_mass <= mass / live[m] * (1 + 1e-9)))
            left = total - len(light)
            after = 3 * (mass - float(slice_mass[light].sum())) / left if left > 0 else 0.0
            options.append((after, m, light, slice_mass))
        _, m, light, slice_mass = max(options, key=lambda o: o[0])
        # Lightest first. Only the states of at most ``exact`` members are ever candidates or
        # recorded, so only the slices removed last need ordering: the first ``head`` are the
        # lightest (ties by code, as a stable sort leaves them) in any order.
        head = int(min(len(light), max(0.0, total - exact - 1)))
        first, light = _lightest(light, slice_mass[light], head)
        after_mass = mass - float(slice_mass[first].sum()) - np.cumsum(slice_mass[light])
        after_size = total - head - np.arange(1, len(light) + 1)
        density = np.where(after_size > 0, 3 * after_mass / np.maximum(after_size, 1), 0.0)
        if trace is not None:
            trace.add(after_size, density)
        if len(light):
            j = int(np.argmax(np.where(after_size <= max_members, density, -1.0)))
            if after_size[j] <= max_members and density[j] > best:
                best, best_step = float(density[j]), step + head + j
        light = np.r_[first, light]
        removed_at[m][ids[m][light]] = step + np.arange(len(light))
        step += len(light)
        active[m][light] = False
        live[m] -= len(light)
        keep = np.flatnonzero(active[m][cur[m]])
        cur = [c.take(keep) for c in cur]
        w = w.take(keep)
        mass = float(w.sum())
    if best < 0:  # every entry went before the peeling came down to ``max_members``
        return None
    # The block: every slice in play at the start and not yet removed at the best state, and
    # the alive entries all of whose slices it holds.
    slices = tuple(p[r[p] > best_step] for p, r in zip(present, removed_at, strict=True))
    inside = np.ones(len(index), dtype=bool)
    for c, s, n in zip(alive_codes, slices, sizes, strict=True):
        member = np.zeros(n, dtype=bool)
        member[s] = True
        inside &= member[c]
    return Block(slices, index[inside], best)  # type: ignore[arg-type]


def _lightest(light: np.ndarray, mass: np.ndarray, head: int) -> tuple[np.ndarray, np.ndarray]:
    """``light`` (ascending codes, with their ``mass``) split into its ``head`` lightest, in no
    particular order, and the rest sorted lightest first: the order a stable sort by mass
    gives, where ties go by code, computed in full only where it is read."""
    if head <= 0:
        return light[:0], light[np.argsort(mass, kind="stable")]
    if head >= len(light):
        return light, light[:0]
    cut = np.partition(mass, head - 1)[head - 1]  # the head-th lightest mass
    below, tied = mass < cut, np.flatnonzero(mass == cut)
    first = below.copy()
    first[tied[:head - int(below.sum())]] = True  # ties by code: the lowest codes go first
    rest = np.flatnonzero(~first)
    return light[first], light[rest[np.argsort(mass[rest], kind="stable")]]


def _renumbered(codes: np.ndarray, kept: np.ndarray, n: int) -> np.ndarray:
    """``codes`` (below ``n``) as positions in ``kept``, the sorted codes they may take."""
    position = np.zeros(n, dtype=np.int64)
    position[kept] = np.arange(len(kept))
    return position[codes]


def peel_blocks(codes: tuple[np.ndarray, ...], sizes: tuple[int, ...], weight: np.ndarray,
                blocks: int, trace: _Envelope | None = None, *,
                max_members: int) -> list[Block]:
    """Up to ``blocks`` blocks, most suspicious first, each peeled from what the ones before left.

    Suspiciousness is judged against the whole tensor's weighted fill, fixed
    for every block (the market's rate, not the rate of what is left).
    """
    alive = np.ones(len(weight), dtype=bool)
    found = []
    for _ in range(blocks):
        block = densest_block(codes, sizes, weight, alive, trace, max_members=max_members)
        if block is None or not len(block.entries):
            break
        found.append(block)
        alive[block.entries] = False
    return found


def distinct_pairs(first: np.ndarray, second: np.ndarray, n_second: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct (``first``, ``second``) pair of codes once, sorted by ``first`` then
    ``second`` (codes of ``second`` are below ``n_second``): a tensor's cells in two modes."""
    keys = distinct(first * n_second + second)
    return keys // n_second, keys % n_second


def local_blocks(tensor: TradeTensor, weight: np.ndarray, proposed: list[Block],
                 config: BlockConfig, *, seed: int) -> list[Block]:
    """Blocks the whole-market peeling cannot reach: the densest block inside each community of
    creators and buyers that the buyers' reach ties together.

    The peeling removes, step by step, every slice lighter than its mode's
    average, and a busy market's average creator carries far more trade than a
    thin ring's creator (two to ten entries each): the ring is peeled away long
    before the block around it is small enough for its density to count. So
    the creator-buyer graph of the buyers who reached ``local_reach`` creators
    or more (the spread test's evidence begins at a buyer's third creator) is
    split into communities (components, Leiden beyond ``max_members``), and
    the same peeling runs inside each community with three creators and
    buyers, on its own entries, with the market's weights. A community mostly
    made of creators a proposed block already holds adds nothing and is left
    out. Such a block is judged by its spread alone, and since the search
    chose its buyers for reaching ``local_reach`` creators, each buyer's reach
    counts only beyond that many (without it, a handful of honest deal hunters
    chasing the same boosted campaigns passed as a ring on a tuning market).
    Cost: ``local_passes`` Leiden passes over those buyers' cells, then a
    peeling per community on a few dozen entries.
    """
    creator, _, buyer = tensor.codes
    n_creators, n_buyers = tensor.sizes[0], tensor.sizes[2]
    cell_buyer, cell_creator = distinct_pairs(buyer, creator, n_creators)
    reached = np.bincount(cell_buyer, minlength=n_buyers)
    keep = reached[cell_buyer] >= config.local_reach
    parts = _communities(tensor, cell_creator[keep], cell_buyer[keep], 2,
                         np.bincount(creator, minlength=n_creators),
                         np.bincount(buyer, minlength=n_buyers), config, seed=seed)
    return _peel_communities(tensor, weight, parts, 2, proposed, config)


def shop_blocks(tensor: TradeTensor, weight: np.ndarray, proposed: list[Block],
                config: BlockConfig, *, seed: int) -> list[Block]:
    """The same search among creators who promote the same shops.

    A ring's creators deal with its shops: the creator-shop graph of the
    pairs that traded splits into communities around them whatever their
    buyers did, so a ring whose buyers place two or three orders each (too few
    for :func:`local_blocks`' reach) is searched too. Its buyers played no part
    in choosing the block, so a block found here is judged by the spread test
    as the whole market's blocks are (each buyer's reach beyond two). A
    creator trading at one shop only, or a shop with one creator, ties no two
    others and is left out of the graph.
    """
    creator, shop, _ = tensor.codes
    n_creators, n_shops = tensor.sizes[0], tensor.sizes[1]
    pair_creator, pair_shop = distinct_pairs(creator, shop, n_shops)
    creator_pairs = np.bincount(pair_creator, minlength=n_creators)
    shop_pairs = np.bincount(pair_shop, minlength=n_shops)
    keep = (creator_pairs[pair_creator] >= 2) & (shop_pairs[pair_shop] >= 2)
    parts = _communities(tensor, pair_creator[keep], pair_shop[keep], 1, creator_pairs,
                         shop_pairs, config, seed=seed)
    return _peel_communities(tensor, weight, parts, 1, proposed, config)


def _communities(tensor: TradeTensor, creators: np.ndarray, others: np.ndarray, mode: int,
                 creator_degree: np.ndarray, other_degree: np.ndarray, config: BlockConfig, *,
                 seed: int) -> list[np.ndarray]:
    """Communities of the bipartite graph of creators and slices of ``mode`` (one edge per
    pair), each edge weighted by FRAUDAR's column weights of its two ends' degrees; nodes are
    creators, then the other mode's slices offset by the number of creators."""
    if not len(creators):
        return []
    link = (column_weight(creator_degree, config.weight_offset)[creators]
            * column_weight(other_degree, config.weight_offset)[others])
    n_creators = tensor.sizes[0]
    return groups(n_creators + tensor.sizes[mode], creators, n_creators + others, link,
                  max_size=config.max_members, seed=seed, iterations=config.local_passes)


def _peel_communities(tensor: TradeTensor, weight: np.ndarray, parts: list[np.ndarray],
                      mode: int, proposed: list[Block], config: BlockConfig) -> list[Block]:
    """:func:`densest_block` inside each community of creators and ``mode`` slices with a ring's
    parties on both sides, on the entries whose creator and ``mode`` slice are both in it; a
    community mostly of creators a ``proposed`` block with a ring's shape holds is skipped."""
    n_creators = tensor.sizes[0]
    least = config.min_shops if mode == 1 else config.min_buyers
    held = np.zeros(n_creators, dtype=bool)
    for block in proposed:
        if _shaped(block, config):
            held[block.slices[0]] = True
    creator_part = np.full(n_creators, -1)
    other_part = np.full(tensor.sizes[mode], -1)
    for label, nodes in enumerate(parts):
        creators, others = nodes[nodes < n_creators], nodes[nodes >= n_creators] - n_creators
        if (len(creators) >= config.min_creators and len(others) >= least
                and 2 * held[creators].sum() < len(creators)):
            creator_part[creators] = label
            other_part[others] = label
    creator, other = tensor.codes[0], tensor.codes[mode]
    part = np.where(creator_part[creator] == other_part[other], creator_part[creator], -1)
    inside = np.flatnonzero(part >= 0)
    inside = inside[np.argsort(part[inside], kind="stable")]
    bounds = np.flatnonzero(np.diff(part[inside])) + 1
    found = []
    for entries in np.split(inside, bounds) if len(inside) else []:
        block = _peel_within(tensor, weight, entries, config)
        if block is not None and len(block.entries):
            found.append(block)
    return found


def _peel_within(tensor: TradeTensor, weight: np.ndarray, entries: np.ndarray,
                 config: BlockConfig) -> Block | None:
    """:func:`densest_block` of ``entries`` alone, on codes compacted to their own slices."""
    local, names = [], []
    for c in tensor.codes:
        used, compact = np.unique(c[entries], return_inverse=True)
        local.append(compact.astype(np.int64))
        names.append(used)
    block = densest_block(tuple(local), tuple(len(n) for n in names), weight[entries],
                          np.ones(len(entries), dtype=bool), max_members=config.max_members)
    if block is None:
        return None
    slices = tuple(n[s] for n, s in zip(names, block.slices, strict=True))
    return Block(slices, entries[block.entries], block.density)  # type: ignore[arg-type]


def null_envelope(tensor: TradeTensor, config: BlockConfig, *, seed: int) -> _Envelope:
    """Chance's densest blocks by size, from ``null_shuffles`` shuffles of the market's trade.

    Each shuffle hands every entry's buyer to a random entry (a permutation of
    the buyer column): each buyer keeps its number of cells, each creator-shop
    pair its number of cells, and only who bought through which pair is left
    to chance. Cells a shuffle repeats are counted once.
    """
    rng = np.random.default_rng(seed)
    envelope = _Envelope(config.max_members * config.size_band)
    creator, shop, buyer = tensor.codes
    for _ in range(config.null_shuffles):
        shuffled = buyer[rng.permutation(len(buyer))]
        key = (creator * tensor.sizes[1] + shop) * tensor.sizes[2] + shuffled
        _, first = np.unique(key, return_index=True)
        codes = (creator[first], shop[first], shuffled[first])
        weight = entry_weights(codes, tensor.sizes, config.weight_offset)
        peel_blocks(codes, tensor.sizes, weight, config.null_blocks, envelope,
                    max_members=config.max_members)
    return envelope


@dataclass(frozen=True)
class Judged:
    """A block with its shape and how it compares with chance.

    ``spread_p`` is :func:`spread_test`'s p-value (1 when the block has no
    shape to be judged by it), ``spread_q`` its Benjamini-Hochberg q-value
    over every block of the run, ``spread_buyers`` how many of the block's
    buyers spread their orders over more of its creators than chance gives,
    and ``core`` the part of the block those buyers' trade makes up: what a
    block flagged by its spread alone reports. A ``local`` block (found by
    :func:`local_blocks`, ``"buyers"``, or :func:`shop_blocks`, ``"shops"``)
    is judged by its spread alone: chance's densest blocks come from peeling
    whole shuffled markets, not from searching communities, so its density is
    no test.
    """

    block: Block
    chance: float
    lift: float
    lift_without_creator: float
    lift_without_shop: float
    flagged: bool
    shaped: bool = False
    spread_buyers: int = 0
    spread_p: float = 1.0
    spread_q: float = 1.0
    core: Block | None = None
    spread_only: bool = False
    spread_p_without: float = 1.0
    local: str = ""


@dataclass(frozen=True)
class MarketTrade:
    """What the spread test conditions on, computed once per market: every entry's creator-shop
    pair (codes), the market's attributed orders per pair and per buyer, and their total."""

    pair: np.ndarray
    pair_orders: np.ndarray
    placed: np.ndarray
    total: float

    @classmethod
    def of(cls, tensor: TradeTensor) -> MarketTrade:
        creator, shop, buyer = tensor.codes
        pair = pd.factorize(creator * tensor.sizes[1] + shop)[0]
        return cls(pair, np.bincount(pair, weights=tensor.orders),
                   np.bincount(buyer, weights=tensor.orders, minlength=tensor.sizes[2]),
                   max(float(tensor.orders.sum()), 1.0))


def buyer_spread(tensor: TradeTensor, trade: MarketTrade, entries: np.ndarray, given: int = 2
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Each buyer of ``entries`` (codes) and how rare its reach over their creators is.

    A local test, conditioned on what each account does anyway: a buyer placed
    ``n`` attributed orders in the whole market, and the entries' creator-shop
    pairs carry a share ``w`` of the market's attributed orders (everyone's
    orders on them, the block's included, so the share is generous). If the
    buyer's orders went wherever the market's go, each would land on the
    block with probability ``w``. The peeling chose the buyer for its orders
    in the block, and a buyer ties two creators only by buying through both,
    so its first two block creators are what the selection needs: the tail
    counts the block creators it reached beyond two, in its other ``n - 2``
    orders, against Binomial(``n - 2``, ``w``) (a loyal fan ordering again
    through the same creator adds nothing; a hit shop's crowd has a large
    ``w``). ``given``: the creators the selection needs, when a search chose
    buyers for reaching more of them (:func:`local_blocks`).
    """
    creator, _, buyer = tensor.codes
    share = float(trade.pair_orders[np.unique(trade.pair[entries])].sum()) / trade.total
    cell_buyer, _ = distinct_pairs(buyer[entries], creator[entries], tensor.sizes[0])
    buyers, reached = np.unique(cell_buyer, return_counts=True)
    beyond = np.maximum(reached - given, 0)
    further = np.maximum(trade.placed[buyers] - given, 0)
    return buyers, binomial_tail(beyond, further, np.full(len(beyond), share))


def spread_test(tensor: TradeTensor, trade: MarketTrade, block: Block,
                config: BlockConfig, given: int = 2) -> tuple[int, float, float, Block]:
    """How many of ``block``'s buyers reach more of its creators than chance, how rare that is
    with and without its busiest shop, and the block's core: the entries of those buyers.

    A buyer is surprising at ``spread_alpha`` (:func:`buyer_spread`); the
    block's count of surprising buyers is tested against Binomial(buyers,
    ``spread_alpha``), so one busy buyer never makes a block. The same count
    without the block's busiest shop (by orders) is what tells a ring from a
    hit shop's crowd: loyal customers order through many of its creators,
    all at that one shop, while a ring's buyers spread over its creators at
    several shops. Returns (surprising buyers, p, p without the busiest
    shop, core). ``given``: see :func:`buyer_spread`.
    """
    entries = block.entries
    buyers, tails = buyer_spread(tensor, trade, entries, given)
    surprising = tails <= config.spread_alpha
    whole = _count_tail(int(surprising.sum()), len(buyers), config)
    shop = tensor.codes[1][entries]
    shops, at = np.unique(shop, return_inverse=True)
    busiest = shops[np.argmax(np.bincount(at, weights=tensor.orders[entries]))]
    rest = entries[shop != busiest]
    rest_buyers, rest_tails = (buyer_spread(tensor, trade, rest, given) if len(rest)
                               else (np.zeros(0, np.int64), np.zeros(0)))
    without = _count_tail(int((rest_tails <= config.spread_alpha).sum()), len(rest_buyers),
                          config)
    core = entries[np.isin(tensor.codes[2][entries], buyers[surprising])]
    slices = tuple(np.unique(c[core]) for c in tensor.codes)
    return (int(surprising.sum()), whole, without,
            Block(slices, core, block.density))  # type: ignore[arg-type]


def _count_tail(surprising: int, buyers: int, config: BlockConfig) -> float:
    """P(at least ``surprising`` of ``buyers`` buyers surprising at ``spread_alpha`` by chance)."""
    return float(binomial_tail(np.array([surprising]), np.array([buyers]),
                               np.array([config.spread_alpha]))[0])


def judge(tensor: TradeTensor, weight: np.ndarray, block: Block, envelope: _Envelope,
          config: BlockConfig, trade: MarketTrade, *, local: str = "", given: int = 2) -> Judged:
    """Compare a block with chance's densest of similar size, whole and without its busiest
    creator or shop (a ``local`` block is not flagged by density, see :class:`Judged`);
    ``given``: the spread test's (:func:`buyer_spread`)."""
    chance = envelope.at(block.members, config.size_band)
    lift = block.density / chance if chance > 0 else math.inf
    without = []
    w = weight[block.entries]
    for m in (0, 1):  # creators, shops
        mass = np.bincount(tensor.codes[m][block.entries], weights=w)
        rest = float(w.sum() - mass.max()) if len(mass) else 0.0
        density = 3 * rest / (block.members - 1)
        level = envelope.at(block.members - 1, config.size_band)
        without.append(density / level if level > 0 else math.inf)
    shaped = _shaped(block, config)
    flagged = (not local and shaped and lift >= config.min_lift
               and min(without) >= config.min_lift_without)
    spread, p, p_without, core = (spread_test(tensor, trade, block, config, given) if shaped
                                  else (0, 1.0, 1.0, None))
    return Judged(block, chance, lift, without[0], without[1], flagged, shaped, spread, p,
                  core=core, spread_p_without=p_without, local=local)


def judge_spread(judged: list[Judged], config: BlockConfig) -> list[Judged]:
    """``judged`` with the spread tests' q-values over every shaped block of the run, and each
    block also flagged whose spread is a discovery at ``spread_fdr``.

    The density test compares a block with chance's densest block anywhere in
    the market, which grows with the market: a thin ring of ten creators is
    below it at 100,000 rows. The spread test asks a local question instead
    (:func:`spread_test`), and false discoveries are controlled over every
    block the peeling proposed.
    """
    shaped = [j for j in judged if j.shaped]
    q = bh_qvalues(np.array([j.spread_p for j in shaped], dtype=np.float64))
    by_block = {id(j): float(v) for j, v in zip(shaped, q, strict=True)}
    out = []
    for j in judged:
        spread_q = by_block.get(id(j), 1.0)
        spread = spread_q <= config.spread_fdr and j.spread_p_without <= config.spread_without
        out.append(dataclasses.replace(j, spread_q=spread_q, flagged=j.flagged or spread,
                                       spread_only=spread and not j.flagged))
    return out


def find_coordinated_blocks(ctx: MarketContext, config: BlockConfig = BlockConfig(), *,
                            seed: int = 42) -> list[Finding]:
    """One :class:`Finding` per block of trade far denser than chance makes, unscored."""
    tensor = trade_tensor(ctx)
    if len(tensor) == 0:
        return []
    weight = entry_weights(tensor.codes, tensor.sizes, config.weight_offset)
    found = peel_blocks(tensor.codes, tensor.sizes, weight, config.max_blocks,
                        max_members=config.max_members)
    by_shops = shop_blocks(tensor, weight, found, config, seed=seed)
    by_buyers = local_blocks(tensor, weight, found, config, seed=seed)
    if not found and not by_buyers and not by_shops:
        return []
    envelope = null_envelope(tensor, config, seed=seed)
    sellers = ctx["shops"].set_index("shop_id")["seller_id"]
    trade = MarketTrade.of(tensor)
    judged = judge_spread([judge(tensor, weight, block, envelope, config, trade)
                           for block in found]
                          + [judge(tensor, weight, block, envelope, config, trade, local="shops")
                             for block in by_shops]
                          + [judge(tensor, weight, block, envelope, config, trade,
                                   local="buyers", given=config.local_reach)
                             for block in by_buyers], config)
    return _each_ring_once([(j, _finding(tensor, j, sellers, config)) for j in judged
                            if j.flagged and (not j.spread_only or _shaped(j.core, config))])


def _each_ring_once(flagged: list[tuple[Judged, Finding]]) -> list[Finding]:
    """The flagged blocks in order (the whole market's, then the local searches'), without a
    local one whose accounts blocks before it already report, each of them.

    The two local searches each skip what the whole market's peeling proposed,
    not what the other found, so that a block one of them proposes and its test
    leaves unflagged does not hide the ring from the other; where both find the
    same ring, it is reported once. A block that only overlaps another is kept
    whole (the ring page says which accounts two rings share): trimming it to
    what the first left out lost rings on tuning markets, since the pipeline may
    still hand the first block's accounts to a named rule's ring.
    """
    kept: list[Finding] = []
    taken: set[Member] = set()
    for judged, finding in flagged:
        if judged.local and finding.accounts <= taken:
            continue
        taken |= finding.accounts
        kept.append(finding)
    return kept


def _shaped(block: Block | None, config: BlockConfig) -> bool:
    """Whether ``block`` has the parties on each side a coordinated block needs."""
    if block is None:
        return False
    creators, shops, buyers = (len(s) for s in block.slices)
    return (creators >= config.min_creators and shops >= config.min_shops
            and buyers >= config.min_buyers)


def leave_out(rings: list[Finding], taken: frozenset[Member], config: BlockConfig) -> list[Finding]:
    """Each block without the accounts another ring holds; blocks left too small are dropped.

    The catch-all only adds what no named rule found: a block the collusion
    detector already reported is that ring, not a second one. Its evidence
    still names every account of the block (what it says of them stays true).
    """
    kept = []
    for ring in rings:
        members = frozenset(m for m in ring.members if m not in taken)
        if sum(1 for m in members if m.type == "creator") < config.min_creators:
            continue
        kept.append(Finding(ring.kind, members, ring.evidence, dict(ring.metrics)))
    return kept


def _finding(tensor: TradeTensor, judged: Judged, sellers: pd.Series,
             config: BlockConfig) -> Finding:
    """The block's accounts, the evidence a reviewer can check cell by cell, and its metrics.

    A block flagged by its spread alone is reported as its core (the trade of
    its surprising buyers): the peeling adds around a ring the accounts that
    make its block densest, ordinary customers and camouflage shops among
    them, and only the core is what the test found.
    """
    block = judged.core if judged.spread_only and judged.core is not None else judged.block
    ids = [sorted(str(x) for x in tensor.names[m][s]) for m, s in enumerate(block.slices)]
    creators, shops, buyers = ids
    cells = len(block.entries)
    possible = len(creators) * len(shops) * len(buyers)
    orders = int(tensor.orders[block.entries].sum())
    refunded = int(tensor.refunded[block.entries].sum())
    members = ({Member("creator", c) for c in creators} | {Member("shop", s) for s in shops}
               | {Member("buyer", b) for b in buyers}
               | {Member("seller", str(sellers[s])) for s in shops if s in sellers.index})
    lift = judged.lift
    evidence = [Evidence(
        KIND.value,
        f"{accounts('buyer', buyers, shown=config.shown)} placed {count(orders, 'order')} at "
        f"{accounts('shop', shops, shown=config.shown)} through "
        f"{accounts('creator', creators, shown=config.shown)}, filling {count(cells, 'cell')} "
        f"of the {possible:,} possible creator-shop-buyer cells ({cells / possible:.0%}); "
        f"{_density_clause(judged, config)}; {refunded} of the orders "
        f"{'was' if refunded == 1 else 'were'} refunded after the commission was paid"
        f"{_spread_clause(judged)}", _weight(judged, config))]
    return Finding(KIND, frozenset(members), evidence,
                   {"block_cells": cells, "block_possible_cells": possible,
                    "block_lift": round(lift, 2)})


def _density_clause(judged: Judged, config: BlockConfig) -> str:
    """How dense the peeled block is against chance's densest (for a core: the block around it)."""
    shuffles = (f"{config.null_shuffles if config.null_shuffles != 1 else 'a'} "
                f"shuffle{'s' if config.null_shuffles != 1 else ''} of this market's trade (each "
                f"buyer keeping its purchases, each creator-shop pair its trade)")
    if judged.local:
        creators, shops, buyers = (len(x) for x in judged.block.slices)
        among = ("accounts its buyers tie together" if judged.local == "buyers"
                 else "creators who promote the same shops")
        return (f"the core of a block of {count(creators, 'creator')}, {count(shops, 'shop')} "
                f"and {count(buyers, 'buyer')} found among {among}, judged by how its buyers "
                f"spread alone")
    if judged.spread_only:
        creators, shops, buyers = (len(x) for x in judged.block.slices)
        return (f"the core of a block of {count(creators, 'creator')}, {count(shops, 'shop')} "
                f"and {count(buyers, 'buyer')} {judged.lift:.1f} times as dense as the densest "
                f"block of similar size in {shuffles}, too little on its own")
    return (f"{judged.lift:.1f} times as dense as the densest block of similar size in "
            f"{shuffles}, and still "
            f"{min(judged.lift_without_creator, judged.lift_without_shop):.1f} times as dense "
            f"without its busiest creator or shop")


def _weight(judged: Judged, config: BlockConfig) -> float:
    """The block's evidence weight: the stronger of its two tests, capped.

    Every block with a ring's shape takes both tests, so the stronger one is a
    choice between two: the spread test's q-value is doubled (Bonferroni) before
    :func:`~ringwatch.detectors.significance.evidence_weight` reads it. The
    density test, when it flags the block, weighs ``1 - min_lift / (2 * lift)``
    (``BlockConfig.max_weight``). A block far denser than chance whose buyers
    also spread over its creators beyond chance is not weighed by its density alone.
    A local block takes the spread test only; its q-value is doubled all the same
    (its density was measured, only not trusted), which errs low.
    """
    spread = float(evidence_weight(np.array([min(1.0, 2 * judged.spread_q)]),
                                   cap=config.max_weight)[0])
    if judged.spread_only:
        return spread
    return max(spread, min(config.max_weight, 1 - config.min_lift / (2 * judged.lift)))


def _spread_clause(judged: Judged) -> str:
    """What the spread test found, when it found anything."""
    if judged.spread_buyers == 0 or judged.spread_q >= 1 / math.e:
        return ""
    return (f"; {count(judged.spread_buyers, 'buyer')} reached more of its creators than "
            f"their other orders would by chance, given how much the market buys through its "
            f"creator-shop pairs (q = {judged.spread_q:.2g}, over every block judged; "
            f"p = {judged.spread_p_without:.2g} without its busiest shop)")


def give_way(blocks: list[Finding], owners: list[Finding],
             config: DetectionConfig) -> list[Finding]:
    """Blocks without the accounts any earlier ring holds: the catch-all only adds."""
    return leave_out(blocks, frozenset(m for f in owners for m in f.accounts), config.blocks)


DETECTOR = Detector(
    name="coordinated_blocks", kind=KIND, step="coordinated blocks", config="blocks",
    projections=("creator_shop_trade", "buyer_orders", "shops"),
    find=lambda ctx, config: find_coordinated_blocks(ctx, config.blocks, seed=config.seed),
    worked_on=lambda ctx: WorkedOn(attributed_orders(ctx), "orders attributed to creators",
                                   "no orders attributed to a creator: blocks of trade need "
                                   "order data"),
    gives_way_to=(RingKind.IDENTITY_RING, RingKind.COLLUSION_RING, RingKind.COMMISSION_ABUSE,
                  RingKind.LOCKSTEP_RING),
    give_way=give_way,
    cost=2.2)
