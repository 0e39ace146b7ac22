"""Scores and metrics of a ring: what a reviewer sorts by and checks first.

The score estimates the probability that the ring is mostly fraudulent given
its evidence (docs/contract.md section 2; the one place this is defined). Each
evidence item of weight ``w`` is read as a likelihood ratio ``1 / (1 - w)``
(capped at ``max_evidence_weight``) and added in log-odds to the prior of a
proposed group (``prior_log_odds``). Items of the
same kind are not independent (five devices of one farm are one fact told five
times), so the k-th strongest item of a kind counts ``same_kind_decay ** (k-1)``
of its log-odds; items of different kinds are independent corroboration and
add in full. So one kind of tie, however often repeated, stays well short of
certainty, and two or three independent kinds make a ring very likely.

Acting in step is not harm. A ring whose only evidence is timing
(``TIMING_CODES``: its creators registered together, promoted the same shops
from the same week, registered beside accounts on one network) and context
(money at stake, prior violations) is capped at ``timing_only_cap``: an
onboarding cohort, a seller's campaign and a burst farm leave the same trace,
and nothing in such a snapshot tells them apart, so the ring goes to a
reviewer as an open question, never as near-certain. Any evidence of another
kind (a shared identifier, abnormal trade, self-purchase) lifts the cap. How
far below the cap such a ring stays follows the market (:class:`TimingPrior`):
of the groups the snapshot shows crowding shops in step, the share that also
carry independent evidence (shared identifiers, abnormal trade) is what acting
in step means here, and a ring with nothing but timing scores at most that
(smoothed). Where every such group is a farm caught by its identifiers too,
timing is telling; where none is, it is an onboarding day's. One closed bundle of
identifiers shared by a home's few accounts is read the same way
(:class:`HouseholdPrior`): a family's tablet, email and joint account are a
three-phone farm's trace too, and only the market says which it usually is.

``ringwatch eval`` prints the calibration table that checks the reading (score bucket against
the observed share of mostly-fraudulent rings).

A ring's metrics carry the ``currency`` of the orders its money comes from
(an ISO code, ``"mixed"``, or ``None`` when the snapshot gives none), so that
``commission_total`` is never read in the wrong currency.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ringwatch.domain import identifier_types
from ringwatch.graph.projections import group_currency
from ringwatch.wording import accounts, count, money, verb

from .config import ScoringConfig
from .context import MarketContext
from .rings import Evidence, Finding

_DAY_MS = 86_400_000
#: Evidence codes that say when accounts acted, not what they did or share (a shared
#: identifier taken up in step, ``lockstep_<type>``, is a shared identifier: not here).
TIMING_CODES = frozenset({"lockstep_registration", "lockstep_promotion", "lockstep_cohort_tie"})
#: Evidence codes every kind may carry that say nothing about coordination by themselves.
CONTEXT_CODES = frozenset({"commission_at_stake", "prior_violations", "honest_explanation",
                           "market_prior"})
#: The evidence code of a group found crowding shops in step (the lockstep detector's).
IN_STEP_CODE = "lockstep_promotion"


def _weighing_codes(evidence: Iterable[Evidence]) -> set[str]:
    """The codes of the items that weigh anything, context aside."""
    return {e.code for e in evidence if e.weight > 0} - CONTEXT_CODES


def timing_only(evidence: Iterable[Evidence]) -> bool:
    """Whether the evidence that weighs anything (context aside) is all timing, and there is some."""
    codes = _weighing_codes(evidence)
    return bool(codes) and codes <= TIMING_CODES


@dataclass(frozen=True)
class MarketPrior:
    """What one trace honest structures leave as farms do means in this snapshot.

    Acting in step is an onboarding day's trace as much as a burst farm's; one
    closed bundle of identifiers is a family's as much as a three-phone farm's.
    Nothing inside such a ring tells the two apart, but the market does: of the
    ``groups`` it shows with that trace, ``corroborated`` also carry independent
    evidence (shared identifiers, abnormal trade, self-purchase). That share is
    what the trace means here, and a ring with nothing more scores at most that.
    """

    groups: int
    corroborated: int

    def cap(self, ceiling: float) -> float:
        """The most a ring with this trace alone scores here: the corroborated share, smoothed
        (Laplace: one of each before any group is seen), and never above ``ceiling``."""
        return min(ceiling, (self.corroborated + 1) / (self.groups + 2))


class TimingPrior(MarketPrior):
    """What acting in step means here: of the groups found crowding shops in step (evidence
    ``IN_STEP_CODE``), how many also carry evidence other than timing."""

    @classmethod
    def of(cls, evidence_lists: Iterable[Iterable[Evidence]]) -> TimingPrior:
        groups = corroborated = 0
        for evidence in evidence_lists:
            codes = _weighing_codes(evidence)
            if IN_STEP_CODE in codes:
                groups += 1
                corroborated += not codes <= TIMING_CODES
        return cls(groups, corroborated)

    def evidence(self, ceiling: float) -> Evidence:
        """The sentence a timing-only ring carries, at weight 0, saying why it scores what it does."""
        return Evidence(
            "market_prior",
            f"in this snapshot {self.corroborated:,} of the {count(self.groups, 'group')} found "
            f"crowding shops in step also share identifiers or trade abnormally; a ring with "
            f"nothing but timing is scored at most {self.cap(ceiling):.2f} here", 0.0)


class HouseholdPrior(MarketPrior):
    """What one closed bundle of identifiers means here: of the identity rings a household
    could be (``Finding.one_household``), how many also carry evidence other than the
    identifiers they share (abnormal trade, self-purchase, acting in step)."""

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> HouseholdPrior:
        homes = [f for f in findings if f.one_household]
        return cls(len(homes), sum(1 for f in homes if not explained_by_household(f, f.evidence)))

    def evidence(self, ceiling: float, accounts: int) -> Evidence:
        """The sentence such a ring carries, at weight 0, saying why it scores what it does."""
        return Evidence(
            "market_prior",
            f"this ring's accounts share one set of identifiers that nobody else uses, as one "
            f"household of up to {count(accounts, 'account')} does; in this snapshot "
            f"{self.corroborated:,} of the {count(self.groups, 'such group')} also trade "
            f"abnormally or act in step, so a ring with nothing more is scored at most "
            f"{self.cap(ceiling):.2f} here", 0.0)


def explained_by_household(finding: Finding, evidence: Iterable[Evidence]) -> bool:
    """Whether ``finding`` could be one household and ``evidence`` adds nothing to that: all
    that weighs (context aside) is the identifiers its accounts share."""
    return finding.one_household and _weighing_codes(evidence) <= _identifier_codes()


def _identifier_codes() -> frozenset[str]:
    """The codes of a shared identifier's evidence, one pair per identifier type."""
    names = [t.name for t in identifier_types()]
    return frozenset([f"shared_{n}" for n in names] + [f"lockstep_{n}" for n in names])


def score(evidence: list[Evidence], config: ScoringConfig = ScoringConfig(), *,
          timing_cap: float | None = None, cap: float = 1.0) -> float:
    """The probability, in [0, 1], that a ring with this evidence is mostly fraudulent.

    ``timing_cap``: the market's cap on timing-only rings (:meth:`TimingPrior.cap`);
    ``config.timing_only_cap`` when not given. ``cap``: any other ceiling the ring's
    trace puts on it (one household's: :meth:`HouseholdPrior.cap`).
    """
    by_code: dict[str, list[float]] = {}
    for e in evidence:
        by_code.setdefault(e.code, []).append(min(max(e.weight, 0.0), config.max_evidence_weight))
    log_odds = config.prior_log_odds
    for weights in by_code.values():
        ranked = -np.log1p(-np.sort(np.asarray(weights))[::-1])
        log_odds += float(np.sum(ranked * config.same_kind_decay ** np.arange(len(ranked))))
    probability = float(1.0 / (1.0 + np.exp(-log_odds)))
    # Timing alone, or nothing beyond context (money at stake, prior violations), shows no
    # harm: capped alike, so that adding a timing item never lowers a score.
    if _weighing_codes(evidence) <= TIMING_CODES:
        probability = min(probability, config.timing_only_cap if timing_cap is None
                          else timing_cap)
    return round(min(probability, cap), 4)


@dataclass(frozen=True)
class MetricTables:
    """The projections ring metrics are computed from, and the market's money scale."""

    trade: pd.DataFrame
    creators: pd.DataFrame
    commission_p95: float

    @classmethod
    def from_context(cls, ctx: MarketContext) -> MetricTables:
        trade = ctx["creator_shop_trade"]
        per_creator = trade.groupby("creator_id")["commission_total"].sum()
        p95 = float(per_creator.quantile(0.95)) if len(per_creator) else 0.0
        return cls(trade, ctx["creators"], p95)


class RingMetrics(dict[str, Any]):
    """A ring's metrics (its JSON ``metrics`` object), plus who the numbers are about.

    Evidence must name the accounts it speaks of, but the pipeline hands
    :func:`context_evidence` only a ring's metrics. The names ride along as
    attributes, outside the mapping, so the JSON and the stores see exactly
    the metrics and no id lists.

    ``earners``: the ring's creators with commission counted in
    ``commission_total``, most first; ``at_ring_shops``: whether that counts
    only their trade with the ring's shops (else all their trade).
    ``violators``: its creators with prior violations, most first.
    """

    __slots__ = ("at_ring_shops", "earners", "violators")

    def __init__(self, values: Mapping[str, Any], *, earners: Iterable[str] = (),
                 at_ring_shops: bool = False, violators: Iterable[str] = ()) -> None:
        super().__init__(values)
        self.earners: tuple[str, ...] = tuple(earners)
        self.at_ring_shops = at_ring_shops
        self.violators: tuple[str, ...] = tuple(violators)


def _ranked(frame: pd.DataFrame, value: str) -> dict[int, list[str]]:
    """Per ring, its creators with a positive ``value``, largest first (ties by id)."""
    frame = frame[frame[value] > 0].sort_values(["ring", value, "creator_id"],
                                                ascending=[True, False, True], kind="stable")
    rings, ids = frame["ring"].to_numpy(), frame["creator_id"].tolist()
    starts = np.flatnonzero(np.diff(rings, prepend=-1)).tolist()  # each ring's rows: one run
    ends = [*starts[1:], len(ids)] if starts else []
    return {int(rings[start]): ids[start:end] for start, end in zip(starts, ends, strict=True)}


def metrics(findings: list[Finding], tables: MetricTables, as_of_ms: int) -> list[RingMetrics]:
    """Members by type, money, refunds, account ages and prior violations, for every ring at once.

    Money and refunds count the ring's creators' trade with the ring's shops, or
    all their trade when the ring has no shop; ``currency`` is that trade's one
    currency code, ``"mixed"``, or ``None`` when its orders carry none. One merge
    and one group-by for all rings: the cost grows with the members, not with
    rings times market.
    """
    rows = [(i, m.type, m.id) for i, f in enumerate(findings) for m in f.members
            if m.type in ("creator", "shop")]
    members = pd.DataFrame(rows, columns=["ring", "type", "id"])
    creators = members[members["type"] == "creator"].rename(columns={"id": "creator_id"})
    shops = members[members["type"] == "shop"].rename(columns={"id": "shop_id"})
    trade = creators[["ring", "creator_id"]].merge(tables.trade, on="creator_id")
    has_shops = set(shops["ring"])
    in_ring = trade.merge(shops[["ring", "shop_id"]].assign(ring_shop=True),
                          on=["ring", "shop_id"], how="left")["ring_shop"].fillna(False)
    trade = trade[in_ring.to_numpy() | ~trade["ring"].isin(has_shops).to_numpy()]
    money = trade.groupby("ring")[["orders", "commission_total", "refunded_orders",
                                   "refunded_after_commission"]].sum()
    currency = group_currency(trade, "ring")
    earned = trade.groupby(["ring", "creator_id"], as_index=False)["commission_total"].sum()
    earners = _ranked(earned, "commission_total")
    info = creators.merge(tables.creators, on="creator_id")
    info["age_days"] = (as_of_ms - info["registered_at_ms"].astype("float64")) / _DAY_MS
    people = info.groupby("ring").agg(age=("age_days", "median"), violations=("violations", "sum"))
    violators = _ranked(info, "violations")
    # Plain dicts for the loop below: a pandas lookup per ring costs more than every merge above.
    money_of = money.to_dict("index")
    ages, violations, currencies = (people["age"].to_dict(), people["violations"].to_dict(),
                                    currency.to_dict())
    found = []
    for i, finding in enumerate(findings):
        by_type = Counter(m.type for m in finding.members)
        m = money_of.get(i)
        orders = int(m["orders"]) if m is not None else 0
        age = ages.get(i, np.nan)
        found.append(RingMetrics({
            **{f"{t}s": n for t, n in sorted(by_type.items())},
            "orders": orders,
            "commission_total": round(float(m["commission_total"]), 2) if m is not None else 0.0,
            "currency": currencies.get(i, "") or None,
            "refund_rate": round(float(m["refunded_orders"]) / orders, 4) if orders else 0.0,
            "refunded_after_commission": int(m["refunded_after_commission"]) if m is not None
            else 0,
            "median_account_age_days": None if pd.isna(age) else round(float(age), 1),
            "prior_violations": int(violations.get(i, 0)),
            **finding.metrics,
        }, earners=earners.get(i, ()), at_ring_shops=i in has_shops,
            violators=violators.get(i, ())))
    return found


def context_evidence(ring_metrics: Mapping[str, Any], tables: MetricTables) -> list[Evidence]:
    """Evidence every kind shares: money at stake and prior violations.

    The sentences name the creators concerned when ``ring_metrics`` is a
    :class:`RingMetrics` (as :func:`metrics` returns), so each reads alone.
    """
    found = []
    commission = ring_metrics.get("commission_total", 0.0)
    earners = getattr(ring_metrics, "earners", ())
    if tables.commission_p95 > 0 and commission >= tables.commission_p95:
        who = accounts("creator", earners) if earners else "the ring's creators"
        where = " at this ring's shops" if getattr(ring_metrics, "at_ring_shops", False) else ""
        found.append(Evidence(
            "commission_at_stake",
            f"{who} earned {money(commission, ring_metrics.get('currency'))} commission{where}, "
            f"more than 95% of creators each earn in total", 0.2))
    violations = ring_metrics.get("prior_violations", 0)
    violators = getattr(ring_metrics, "violators", ())
    if violations:
        who = accounts("creator", violators) if violators else "the ring's creators"
        found.append(Evidence(
            "prior_violations",
            f"{who} {verb(len(violators), 'has', 'have')} "
            f"{count(violations, 'prior policy violation')}", min(0.3, 0.1 * violations)))
    return found
