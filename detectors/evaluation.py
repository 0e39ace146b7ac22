"""How good flagged rings are, measured against planted ground truth (``labels.csv``).

Labels are for evaluation only, never an input to detection (docs/contract.md section 3):
``ring_id, account_type, account_id, typology``, one row per planted ring member.
Two questions get two kinds of figures, per typology and overall:

- creator level: are the creators we flag the fraudulent ones (precision), and
  do we flag every fraudulent creator (recall)? Creators are where commission
  is paid, so this is the figure a marketplace's losses follow;
- ring level: is each flagged ring really a ring (precision), and is each
  planted ring found (recall)? This is what a reviewer's queue feels like.

Beyond those, :func:`assess` answers what a reviewer's queue and a risk
owner also need to know: how many pieces each found ring is split into
(fragmentation), whether a score of 0.8 means eight in ten rings are right
(calibration), whether small or large rings are the unreliable ones (precision
by size), and whether honest structures that resemble rings stay unflagged
(``lookalikes.csv``, written by the generator).

Every ratio whose denominator is zero (no ring flagged, no creator planted) is
defined as 0.0, so an empty run reports zeros instead of failing; the counts
beside each figure tell a real zero from an empty denominator.

Example
-------
On a real run, ``load_labels("snapshot/labels.csv")`` and
``load_rings("out/rings.jsonl")`` read the two files. Here two planted rings,
one found whole and one missed:

>>> labels = pd.DataFrame({"ring_id": ["r1", "r1", "r2", "r2"],
...                        "account_type": ["creator"] * 4,
...                        "account_id": ["c1", "c2", "c3", "c4"],
...                        "typology": ["account_farm"] * 2 + ["collusion_ring"] * 2})
>>> found = [{"kind": "identity_ring", "score": 0.9,
...           "members": [{"type": "creator", "id": "c1"}, {"type": "creator", "id": "c2"}]}]
>>> result = evaluate(found, labels)
>>> result["account_farm"].ring_recall, result["collusion_ring"].ring_recall
(1.0, 0.0)
>>> result.overall.creator_precision, result.overall.creator_recall
(1.0, 0.5)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from ringwatch import RingwatchError
from ringwatch.domain import AccountType, Lifecycle

#: The account types a label may name.
ACCOUNT_TYPES: tuple[AccountType, ...] = tuple(AccountType)

LABEL_COLUMNS = ("ring_id", "account_type", "account_id", "typology")
LOOKALIKE_COLUMNS = ("group_id", "account_type", "account_id", "kind")
#: Account types that carry a planted ring in ring-level recall; buyers are fodder
#: (throwaway accounts a ring buys through) and only count when a ring has nothing else.
CORE_TYPES = (AccountType.CREATOR, AccountType.SHOP, AccountType.SELLER)
OVERALL = "overall"


class EvaluationError(RingwatchError):
    """A labels or rings file cannot be used; the message names the file (and line or column)."""


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 for one typology (or ``overall``), with the counts behind them.

    ``flagged_rings`` / ``correct_rings`` count the flagged rings attributed to this
    typology (all flagged rings for ``overall``); ``planted_rings`` /
    ``recalled_rings`` the labelled rings of this typology. ``flagged_creators`` are
    the creators in those flagged rings, ``true_creators`` the labelled creators of
    the typology and ``caught_creators`` those of them inside any flagged ring.
    """

    name: str
    creator_precision: float
    creator_recall: float
    creator_f1: float
    ring_precision: float
    ring_recall: float
    flagged_rings: int
    correct_rings: int
    planted_rings: int
    recalled_rings: int
    flagged_creators: int
    true_creators: int
    caught_creators: int


@dataclass(frozen=True)
class Evaluation:
    """Scores per planted typology (sorted by name) and overall.

    ``unattributed_rings`` is how many flagged rings hold no labelled account at
    all: they count against overall precision only, as no typology owns them.
    """

    typologies: tuple[Scores, ...]
    overall: Scores
    unattributed_rings: int

    def __getitem__(self, name: str) -> Scores:
        """The scores of typology ``name``, or ``"overall"``."""
        if name == OVERALL:
            return self.overall
        for scores in self.typologies:
            if scores.name == name:
                return scores
        raise KeyError(f"no typology {name!r}; known: {', '.join(s.name for s in self.typologies)}")

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON: ``{"typologies": {name: scores}, "overall": scores, ...}``."""
        return {
            "typologies": {s.name: dataclasses.asdict(s) for s in self.typologies},
            "overall": dataclasses.asdict(self.overall),
            "unattributed_rings": self.unattributed_rings,
        }

    def table(self) -> str:
        """A fixed-width table, one row per typology and one overall, for a terminal or a report."""
        width = max([16, *(len(s.name) for s in self.typologies)])
        header = (f"{'typology':<{width}} {'cre P':>6} {'cre R':>6} {'cre F1':>6} {'ring P':>6} "
                  f"{'ring R':>6} {'flagged':>8} {'correct':>8} {'planted':>8} {'recalled':>8} "
                  f"{'creators caught/true':>21}")
        lines = [header, "-" * len(header)]
        for s in (*self.typologies, self.overall):
            if s is self.overall:
                lines.append("-" * len(header))
            lines.append(
                f"{s.name:<{width}} {s.creator_precision:>6.3f} {s.creator_recall:>6.3f} "
                f"{s.creator_f1:>6.3f} {s.ring_precision:>6.3f} {s.ring_recall:>6.3f} "
                f"{s.flagged_rings:>8d} {s.correct_rings:>8d} {s.planted_rings:>8d} "
                f"{s.recalled_rings:>8d} {f'{s.caught_creators}/{s.true_creators}':>21}")
        if self.unattributed_rings:
            lines.append(f"({self.unattributed_rings} flagged ring(s) hold no labelled account; "
                         "they count in the overall row only)")
        return "\n".join(lines)


def load_labels(path: Path | str) -> pd.DataFrame:
    """Read ``labels.csv`` as text; raises :class:`EvaluationError` naming the file and the problem.

    Every problem is collected before raising (all missing columns, every row with
    an empty value or an unknown account type), so one fix-up round is enough.
    Extra columns are kept.
    """
    path = Path(path)
    labels = _read_text_csv(path, "labels", LABEL_COLUMNS)
    problems = []
    for column in LABEL_COLUMNS:
        empty = labels.index[labels[column].str.strip() == ""]
        if len(empty):
            problems.append(f"empty {column} on row {_rows(empty)}")
    unknown = labels.index[~labels["account_type"].isin(ACCOUNT_TYPES)
                           & (labels["account_type"].str.strip() != "")]
    if len(unknown):
        problems.append(f"account_type not one of {', '.join(ACCOUNT_TYPES)} on row {_rows(unknown)}")
    if problems:
        raise EvaluationError(f"{path}: bad labels: {'; '.join(problems)}")
    return labels


def _rows(index: pd.Index, shown: int = 10) -> str:
    # Data rows numbered from 1, as a spreadsheet shows them below the header.
    numbers = [str(i + 1) for i in index[:shown]]
    more = f" and {len(index) - shown} more" if len(index) > shown else ""
    return ", ".join(numbers) + more


def load_rings(path: Path | str) -> list[dict[str, Any]]:
    """Read ``rings.jsonl`` (docs/contract.md section 2); blank lines are skipped.

    Raises :class:`EvaluationError` with the file and line number when a line is
    not JSON or is not a ring with a ``members`` list.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"{path}: cannot read rings ({exc})") from exc
    rings = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            ring = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})"
                                  ) from exc
        problem = _ring_problem(ring)
        if problem:
            raise EvaluationError(f"{path}:{number}: {problem}")
        rings.append(ring)
    return rings


def _ring_problem(ring: object) -> str | None:
    if not isinstance(ring, Mapping):
        return f"a ring is a JSON object, got {type(ring).__name__}"
    members = ring.get("members")
    if not isinstance(members, list):
        return "ring has no 'members' list"
    for m in members:
        if not isinstance(m, Mapping) or "type" not in m or "id" not in m:
            return f"member {m!r} is not an object with 'type' and 'id'"
    return None


def evaluate(rings: Iterable[Mapping[str, Any]], labels: pd.DataFrame) -> Evaluation:
    """Score flagged ``rings`` (dicts with ``members``) against ``labels`` (see :func:`load_labels`).

    Rings whose ``status`` is ``dissolved`` are not flagged and are ignored.
    Definitions (an account is ``(type, id)``; "labelled" = in ``labels``, any typology):

    Creator level
        predicted = creators that are members of any flagged ring; true = labelled
        creators. Overall precision = |predicted ∩ true| / |predicted|, recall =
        |predicted ∩ true| / |true|, F1 their harmonic mean. Per typology T, recall
        = share of T's labelled creators inside any flagged ring; precision is
        over the flagged rings *attributed* to T, i.e. whose labelled account
        members mostly carry typology T (ties go to the name first in sort order;
        rings without a labelled member are attributed to none): the share of
        the creators in those rings that are labelled (with any typology, as a
        caught fraudster of another scheme is still a fraudster).
    Ring level
        A flagged ring is correct when more than half of its account members
        (creators, shops, sellers, buyers; identifiers are not counted) are
        labelled. Precision = correct / flagged (per typology: over the rings
        attributed to T). A planted ring is recalled when at least half of its
        creators, shops and sellers are members of flagged rings (not
        necessarily one ring); buyers are fodder and are left out, unless the
        planted ring has no creator, shop or seller, when all its accounts count.
        Recall = recalled / planted, per typology over the rings of T.
    """
    labelled = _keyed(labels)
    members, n_rings = _account_members(rings)
    fraud = set(labelled["key"])

    # Flagged rings: correctness and attribution.
    correct = _correct_rings(members, fraud, n_rings)
    per_ring = pd.RangeIndex(n_rings)
    typed = members.merge(labelled[["key", "typology"]].drop_duplicates(), on="key")
    votes = typed.groupby(["ring", "typology"]).size().rename("n").reset_index()
    votes = votes.sort_values(["ring", "n", "typology"], ascending=[True, False, True])
    attributed = votes.drop_duplicates("ring").set_index("ring")["typology"].reindex(range(n_rings))

    # Planted rings: their core accounts, covered by any flagged ring.
    _, planted = _planted_coverage(labelled, set(members["key"]))

    creators = members[members["type"] == "creator"]
    predicted = set(creators["key"])
    true_by_typology = labelled[labelled["account_type"] == "creator"].groupby("typology")["key"]

    def scores(name: str, rings_mask: np.ndarray, planted_rows: pd.DataFrame, true: set[str]) -> Scores:
        chosen = creators[creators["ring"].isin(per_ring[rings_mask])]["key"]
        flagged = set(chosen)
        precision = _ratio(len(flagged & fraud), len(flagged))
        caught = len(predicted & true)
        recall = _ratio(caught, len(true))
        f1 = _ratio(2 * precision * recall, precision + recall)
        return Scores(
            name=name, creator_precision=precision, creator_recall=recall, creator_f1=f1,
            ring_precision=_ratio(int(correct[rings_mask].sum()), int(rings_mask.sum())),
            ring_recall=_ratio(int(planted_rows["recalled"].sum()), len(planted_rows)),
            flagged_rings=int(rings_mask.sum()), correct_rings=int(correct[rings_mask].sum()),
            planted_rings=len(planted_rows), recalled_rings=int(planted_rows["recalled"].sum()),
            flagged_creators=len(flagged), true_creators=len(true), caught_creators=caught)

    names = sorted(set(labelled["typology"]))
    per_typology = tuple(
        scores(t, (attributed == t).to_numpy(), planted[planted["typology"] == t],
               set(true_by_typology.get_group(t)) if t in true_by_typology.groups else set())
        for t in names)
    overall = scores(OVERALL, np.ones(n_rings, dtype=bool), planted,
                     set(labelled.loc[labelled["account_type"] == "creator", "key"]))
    return Evaluation(per_typology, overall, int(attributed.isna().sum()))


def _keyed(labels: pd.DataFrame) -> pd.DataFrame:
    """Labels with ``key`` = ``"type:id"``, the account key rings are matched on."""
    return labels.assign(key=labels["account_type"] + ":" + labels["account_id"])


def _correct_rings(members: pd.DataFrame, fraud: set[str], n_rings: int) -> np.ndarray:
    """Per flagged ring: is it correct, i.e. are more than half of its account members labelled?"""
    labelled = members["key"].isin(fraud)
    per_ring = labelled.groupby(members["ring"]).agg(["sum", "size"]).reindex(range(n_rings),
                                                                             fill_value=0)
    return (2 * per_ring["sum"] > per_ring["size"]).to_numpy()


def _planted_coverage(labelled: pd.DataFrame, flagged_accounts: set[str]
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Core accounts of every planted ring (``ring_id``, ``key``, ``covered``), and per ring:
    covered core accounts (``sum``), core size (``size``), ``recalled`` and ``typology``.

    The core is a ring's creators, shops and sellers (all its accounts when it has none).
    """
    core = labelled[labelled["account_type"].isin(CORE_TYPES)]
    core = pd.concat([core, labelled[~labelled["ring_id"].isin(core["ring_id"])]])
    core = core.drop_duplicates(["ring_id", "key"]).assign(covered=lambda f: f["key"].isin(
        flagged_accounts))
    planted = core.groupby("ring_id")["covered"].agg(["sum", "size"])
    planted["recalled"] = 2 * planted["sum"] >= planted["size"]
    planted["typology"] = labelled.groupby("ring_id")["typology"].agg(lambda s: s.mode().iloc[0])
    return core, planted


def _account_members(rings: Iterable[Mapping[str, Any]]) -> tuple[pd.DataFrame, int]:
    """Rows (flagged ring position, account type, ``type:id`` key), and how many rings were flagged."""
    kept = [r for r in rings if r.get("status") != Lifecycle.DISSOLVED]
    for position, ring in enumerate(kept):
        problem = _ring_problem(ring)
        if problem:
            raise EvaluationError(f"ring {position} ({ring.get('ring_id', 'no ring_id')}): {problem}")
    rows = [(position, str(m["type"]), f"{m['type']}:{m['id']}")
            for position, ring in enumerate(kept) for m in ring["members"]
            if m["type"] in ACCOUNT_TYPES]
    frame = pd.DataFrame(rows, columns=["ring", "type", "key"]).drop_duplicates()
    frame = frame.astype({"ring": "int64", "type": str, "key": str})
    return frame, len(kept)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else 0.0


# --- beyond precision and recall: fragmentation, calibration, size, look-alikes -------------

#: Ring-size buckets (account members; identifiers are not counted) for precision by size.
SIZE_BUCKETS: tuple[tuple[str, int, float], ...] = (
    ("1-2", 1, 2), ("3-5", 3, 5), ("6-10", 6, 10), ("11-30", 11, 30), ("31-100", 31, 100),
    (">100", 101, float("inf")))
#: Score buckets of the calibration table: [0.0, 0.1), ..., [0.9, 1.0] (1.0 in the last).
SCORE_BUCKETS = 10
#: A typology counts as recalled when at least this share of its planted rings is.
TYPOLOGY_RECALL = 0.5
#: Rings scored at least this are flagged: the contract reads the score as a probability,
#: so a ring at 0.5 or more is more likely fraud than not, the reviewer's queue.
FLAG_SCORE = 0.5
#: A ring holds a look-alike group beyond chance when so many of the group's accounts would
#: land in a ring of its size by chance less than once in a hundred times, over all (group,
#: ring) pairs looked at (Bonferroni).
LOOKALIKE_CHANCE = 0.01
ALL_KINDS = "all"


@dataclass(frozen=True)
class Fragmentation:
    """How many flagged rings each found planted ring is split into (1.0 is ideal).

    A found planted ring is one that is recalled (see :func:`evaluate`); each
    flagged ring holding any of its core accounts (creators, shops, sellers; all
    its accounts when it has none of those) is one piece. ``mean`` = pieces /
    found rings, ``worst`` = the most pieces of any one found ring. Over-merging
    (one flagged ring holding several planted rings) is not fragmentation: ring
    precision and the size buckets show it.
    """

    found_rings: int
    pieces: int
    mean: float
    worst: int


@dataclass(frozen=True)
class Bucket:
    """Flagged rings in one score or size bucket, and the share of them that are correct."""

    name: str
    rings: int
    correct: int
    precision: float
    mean_score: float


@dataclass(frozen=True)
class ScoreMove:
    """Rings of one kind whose detector score (``uncalibrated_score``) fell in one bucket, and
    their mean score before and after recalibration on reviewers' verdicts."""

    name: str
    rings: int
    mean_before: float
    mean_after: float


@dataclass(frozen=True)
class LookalikeCheck:
    """Legitimate look-alike groups of one kind (or ``all``) that a detector flagged.

    ``touched``: groups with any account in any flagged ring (the strict count: an
    honest member flagged for whatever reason). ``joined``: groups of which one
    flagged ring holds at least two accounts (one, for a one-account group), i.e.
    the honest structure itself was taken for a ring. ``flagged_accounts`` of
    ``accounts`` members are in flagged rings.
    """

    kind: str
    groups: int
    touched: int
    joined: int
    accounts: int
    flagged_accounts: int


@dataclass(frozen=True)
class Quality:
    """Everything :func:`assess` measures: the evaluation and the figures beyond it."""

    evaluation: Evaluation
    fragmentation: Fragmentation
    calibration: tuple[Bucket, ...]
    by_size: tuple[Bucket, ...]
    lookalikes: tuple[LookalikeCheck, ...]
    typologies_recalled: tuple[str, ...]
    typologies_missed: tuple[str, ...]
    #: Per ring kind, its own calibration table (a kind can be well calibrated where another is not).
    calibration_by_kind: Mapping[str, tuple[Bucket, ...]] = dataclasses.field(default_factory=dict)
    #: Per recalibrated kind, how its scores moved (empty when the run recalibrated nothing).
    score_moves: Mapping[str, tuple[ScoreMove, ...]] = dataclasses.field(default_factory=dict)

    @property
    def lookalikes_all(self) -> LookalikeCheck | None:
        """The ``all`` row of the look-alike check, or None when no look-alikes were given."""
        return next((c for c in self.lookalikes if c.kind == ALL_KINDS), None)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "evaluation": self.evaluation.as_dict(),
            "fragmentation": dataclasses.asdict(self.fragmentation),
            "calibration": [dataclasses.asdict(b) for b in self.calibration],
            "precision_by_size": [dataclasses.asdict(b) for b in self.by_size],
            "lookalikes": [dataclasses.asdict(c) for c in self.lookalikes],
            "typologies_recalled": list(self.typologies_recalled),
            "typologies_missed": list(self.typologies_missed),
            "calibration_by_kind": {k: [dataclasses.asdict(b) for b in buckets]
                                    for k, buckets in self.calibration_by_kind.items()},
            "score_moves": {k: [dataclasses.asdict(m) for m in moves]
                            for k, moves in self.score_moves.items()},
        }

    def table(self) -> str:
        """The evaluation table followed by fragmentation, calibration, size and look-alike tables."""
        f = self.fragmentation
        total = len(self.typologies_recalled) + len(self.typologies_missed)
        lines = [self.evaluation.table(), "",
                 f"fragmentation: {f.mean:.2f} flagged rings per found planted ring "
                 f"({f.pieces} pieces over {f.found_rings} found; worst {f.worst}; 1.00 is ideal)",
                 f"typologies recalled (ring recall >= {TYPOLOGY_RECALL:.0%}): "
                 f"{len(self.typologies_recalled)}/{total}"
                 + (f"; missed: {', '.join(self.typologies_missed)}" if self.typologies_missed
                    else ""),
                 "", _bucket_table("score", self.calibration, scores=True), "",
                 _bucket_table("accounts", self.by_size, scores=False)]
        for kind, buckets in self.calibration_by_kind.items():
            shown = tuple(b for b in buckets if b.rings)
            lines += ["", f"reliability of {kind} (calibration error "
                      f"{calibration_error(buckets):.3f}):", _bucket_table("score", shown, scores=True)]
        for kind, moves in self.score_moves.items():
            header = f"{'detector score':<15} {'rings':>7} {'before':>8} {'after':>8}"
            lines += ["", f"{kind} recalibrated on reviewers' verdicts (mean score before -> after):",
                      header, "-" * len(header)]
            lines += [f"{m.name:<15} {m.rings:>7d} {m.mean_before:>8.3f} {m.mean_after:>8.3f}"
                      for m in moves if m.rings]
        if self.lookalikes:
            header = (f"{'look-alike kind':<20} {'groups':>7} {'touched':>8} {'joined':>7} "
                      f"{'accounts flagged':>17}")
            lines += ["", header, "-" * len(header)]
            for c in self.lookalikes:
                if c.kind == ALL_KINDS:
                    lines.append("-" * len(header))
                lines.append(f"{c.kind:<20} {c.groups:>7d} {c.touched:>8d} {c.joined:>7d} "
                             f"{f'{c.flagged_accounts}/{c.accounts}':>17}")
        return "\n".join(lines)


def load_lookalikes(path: Path | str) -> pd.DataFrame:
    """Read ``lookalikes.csv`` (``group_id, account_type, account_id, kind``) as text.

    Raises :class:`EvaluationError` naming the file and the missing columns.
    """
    return _read_text_csv(Path(path), "look-alikes", LOOKALIKE_COLUMNS)


def _read_text_csv(path: Path, what: str, columns: Sequence[str]) -> pd.DataFrame:
    """A CSV of opaque text values; :class:`EvaluationError` names the file and missing columns."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"{path}: cannot read {what} ({exc})") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise EvaluationError(
            f"{path}: {what} lack required column {', '.join(missing)} "
            f"(found columns: {', '.join(map(str, frame.columns)) or 'none'})")
    return frame


def assess(rings: Iterable[Mapping[str, Any]], labels: pd.DataFrame,
           lookalikes: pd.DataFrame | None = None, *, flag_score: float = FLAG_SCORE,
           accounts: Mapping[str, int] | None = None) -> Quality:
    """Evaluate ``rings`` against ``labels`` and measure fragmentation, calibration and size.

    The rings scored ``flag_score`` or more are the flagged ones: what a
    reviewer is told is probably fraud, and what precision, recall, F1,
    fragmentation, size and look-alikes are measured on. Calibration is
    measured on every ring, across the whole score range. With
    ``lookalikes`` (see :func:`load_lookalikes`), also check which
    legitimate look-alike groups got flagged (``accounts``: the market's
    accounts per type, for the chance rule of :func:`check_lookalikes`).
    Rings are read once; the definitions are :func:`evaluate`'s, so the
    figures agree with it.
    """
    every = [r for r in rings if r.get("status") != Lifecycle.DISSOLVED]
    kept = [r for r in every if float(r.get("score", 0.0)) >= flag_score]
    evaluation = evaluate(kept, labels)
    recalled = tuple(s.name for s in evaluation.typologies
                     if s.planted_rings and s.ring_recall >= TYPOLOGY_RECALL)
    missed = tuple(s.name for s in evaluation.typologies
                   if s.planted_rings and s.ring_recall < TYPOLOGY_RECALL)
    return Quality(
        evaluation=evaluation, fragmentation=fragmentation(kept, labels),
        calibration=calibration(every, labels), by_size=precision_by_size(kept, labels),
        lookalikes=(check_lookalikes(kept, lookalikes, accounts) if lookalikes is not None
                    else ()),
        typologies_recalled=recalled, typologies_missed=missed,
        calibration_by_kind=calibration_by_kind(every, labels), score_moves=score_moves(every))


def fragmentation(rings: Iterable[Mapping[str, Any]], labels: pd.DataFrame) -> Fragmentation:
    """Flagged rings per found planted ring (see :class:`Fragmentation`)."""
    labelled = _keyed(labels)
    members, _ = _account_members(rings)
    core, planted = _planted_coverage(labelled, set(members["key"]))
    found = planted.index[planted["recalled"].to_numpy()]
    touching = core[core["ring_id"].isin(found)].merge(members[["ring", "key"]], on="key")
    pieces = touching.drop_duplicates(["ring_id", "ring"]).groupby("ring_id").size()
    return Fragmentation(found_rings=len(found), pieces=int(pieces.sum()),
                         mean=_ratio(int(pieces.sum()), len(found)),
                         worst=int(pieces.max()) if len(pieces) else 0)


def calibration(rings: Iterable[Mapping[str, Any]], labels: pd.DataFrame) -> tuple[Bucket, ...]:
    """Flagged rings per score bucket (0.0-0.1 ... 0.9-1.0) and the share that are correct.

    A score reads as a probability (docs/contract.md section 2): among rings
    scored about 0.8, about eight in ten should be correct (mostly labelled
    accounts, as in :func:`evaluate`). A ring without a score counts as 0.
    """
    verdicts = _verdicts(rings, labels)
    return score_buckets(verdicts["score"].to_numpy(), verdicts["correct"].to_numpy())


def score_buckets(scores: Sequence[float] | np.ndarray,
                  correct: Sequence[bool] | np.ndarray) -> tuple[Bucket, ...]:
    """:func:`calibration`'s buckets from scores and verdicts given directly (rings pooled
    over several markets, whose labels differ)."""
    frame = pd.DataFrame({"score": np.asarray(scores, dtype=np.float64),
                          "correct": np.asarray(correct, dtype=bool)})
    return _buckets(frame, _score_bucket(frame["score"].to_numpy()), list(_BUCKET_NAMES))


def _score_bucket(scores: np.ndarray) -> np.ndarray:
    return np.minimum((scores * SCORE_BUCKETS).astype(np.int64), SCORE_BUCKETS - 1)


_BUCKET_NAMES = [f"{b / SCORE_BUCKETS:.1f}-{(b + 1) / SCORE_BUCKETS:.1f}" for b in range(SCORE_BUCKETS)]


def calibration_by_kind(rings: Iterable[Mapping[str, Any]], labels: pd.DataFrame
                        ) -> dict[str, tuple[Bucket, ...]]:
    """:func:`calibration` for each ring kind on its own (the reliability diagram per kind)."""
    kept = [r for r in rings if r.get("status") != Lifecycle.DISSOLVED]
    kinds = sorted({str(r.get("kind")) for r in kept})
    return {kind: calibration([r for r in kept if r.get("kind") == kind], labels) for kind in kinds}


def score_moves(rings: Iterable[Mapping[str, Any]]) -> dict[str, tuple[ScoreMove, ...]]:
    """Per kind a run recalibrated, per bucket of the detector's score: rings, mean before and after.

    A kind whose every ring kept its detector score (or rings written before
    ``uncalibrated_score`` existed) is left out.
    """
    kept = [r for r in rings if r.get("status") != Lifecycle.DISSOLVED
            and r.get("uncalibrated_score") is not None]
    out = {}
    for kind in sorted({str(r.get("kind")) for r in kept}):
        mine = [r for r in kept if r.get("kind") == kind]
        before = np.array([float(r["uncalibrated_score"]) for r in mine])
        after = np.array([float(r.get("score") or 0.0) for r in mine])
        if np.array_equal(before, after):
            continue
        bucket = _score_bucket(before)
        out[kind] = tuple(
            ScoreMove(name, int((bucket == b).sum()),
                      float(before[bucket == b].mean()) if (bucket == b).any() else 0.0,
                      float(after[bucket == b].mean()) if (bucket == b).any() else 0.0)
            for b, name in enumerate(_BUCKET_NAMES))
    return out


def calibration_error(buckets: Iterable[Bucket]) -> float:
    """Expected calibration error: the ring-weighted mean gap between score and observed precision.

    0.0 means every bucket's rings are correct as often as their scores say; a
    detector scoring every ring 1.0 has an error of 1 - ring precision. With no
    ring flagged it is 0.0.
    """
    buckets = list(buckets)
    rings = sum(b.rings for b in buckets)
    gap = sum(b.rings * abs(b.precision - b.mean_score) for b in buckets if b.rings)
    return _ratio(gap, rings)


def chance_calibration_error(scores: Sequence[float] | np.ndarray, *, draws: int = 2000,
                             seed: int = 0) -> float:
    """The ECE a perfectly calibrated detector shows on these scores by chance alone.

    Each ring is drawn correct with the probability its score says, ``draws``
    times, and :func:`calibration_error`'s buckets are read as usual; the mean is
    what sampling alone puts into the figure. On a market of twenty rings,
    half a dozen of them between 0.5 and 0.9, that is several hundredths: an
    ECE is only read against it.
    """
    p = np.asarray(scores, dtype=np.float64)
    if not len(p):
        return 0.0
    outcomes = np.random.default_rng(seed).random((draws, len(p))) < p
    bucket = _score_bucket(p)
    gap = np.zeros(draws)
    for b in np.unique(bucket):
        inside = bucket == b
        gap += inside.sum() * np.abs(outcomes[:, inside].mean(axis=1) - p[inside].mean())
    return float(gap.mean() / len(p))


def correct_rings(rings: Iterable[Mapping[str, Any]], labels: pd.DataFrame) -> np.ndarray:
    """Per ring not dissolved, in order: is it correct (mostly labelled accounts, as in :func:`evaluate`)?

    What a reviewer with the ground truth would decide: confirm a correct ring, dismiss the rest.
    """
    return _verdicts(rings, labels)["correct"].to_numpy(dtype=bool)


def precision_by_size(rings: Iterable[Mapping[str, Any]], labels: pd.DataFrame
                      ) -> tuple[Bucket, ...]:
    """Ring precision per ring-size bucket (``SIZE_BUCKETS``, in account members)."""
    verdicts = _verdicts(rings, labels)
    size = verdicts["size"].to_numpy()
    bucket = np.full(len(size), -1, dtype=np.int64)
    for number, (_, low, high) in enumerate(SIZE_BUCKETS):
        bucket[(size >= low) & (size <= high)] = number
    return _buckets(verdicts, bucket, [name for name, _, _ in SIZE_BUCKETS])


def check_lookalikes(rings: Iterable[Mapping[str, Any]], lookalikes: pd.DataFrame,
                     accounts: Mapping[str, int] | None = None) -> tuple[LookalikeCheck, ...]:
    """Per look-alike kind (and ``all``): groups touched and joined by flagged rings.

    Every look-alike is honest by construction, so every touched group is a
    false positive a reviewer would have to dismiss (definitions in
    :class:`LookalikeCheck`). A group is *joined* when one ring holds two of
    its accounts (one, for a one-account group); with ``accounts`` (the
    market's accounts per type, :func:`market_accounts`) only when that many
    would land in a ring of its size by chance less than
    :data:`LOOKALIKE_CHANCE` over all (group, ring) pairs: a carrier NAT used
    by a fifth of the market has two users in any ring with honest members,
    which says nothing of the NAT.
    """
    members, _ = _account_members(rings)
    groups = _keyed(lookalikes).drop_duplicates(["group_id", "key"])
    per_ring = _holds(members, groups, accounts)
    joined = set(per_ring.loc[per_ring["joined"], "group_id"])
    touched = set(per_ring["group_id"])
    flagged_keys = set(members["key"])
    checks = []
    for kind, part in [*sorted(groups.groupby("kind")), (ALL_KINDS, groups)]:
        ids = set(part["group_id"])
        checks.append(LookalikeCheck(
            kind=str(kind), groups=len(ids), touched=len(ids & touched), joined=len(ids & joined),
            accounts=part["key"].nunique(),
            flagged_accounts=int(part.drop_duplicates("key")["key"].isin(flagged_keys).sum())))
    return tuple(checks)


def lookalike_holds(rings: Iterable[Mapping[str, Any]], lookalikes: pd.DataFrame,
                    accounts: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Per (look-alike group, ring holding any of its accounts): how many, by what chance, joined?

    Columns ``group_id``, ``kind``, ``ring`` (position among ``rings``),
    ``held``, ``group_size``, ``chance`` (NaN without ``accounts``) and
    ``joined`` (see :func:`check_lookalikes`).
    """
    members, _ = _account_members(rings)
    return _holds(members, _keyed(lookalikes).drop_duplicates(["group_id", "key"]), accounts)


def _holds(members: pd.DataFrame, groups: pd.DataFrame,
           accounts: Mapping[str, int] | None) -> pd.DataFrame:
    """:func:`lookalike_holds` on rings' account members and look-alike groups already read."""
    size = groups.groupby("group_id").size().rename("group_size")
    kinds = groups.drop_duplicates("group_id").set_index("group_id")["kind"]
    hits = groups.merge(members[["ring", "key"]], on="key")
    per_ring = hits.groupby(["group_id", "ring"]).size().rename("held").reset_index()
    per_ring = per_ring.join(size, on="group_id").assign(
        kind=lambda f: f["group_id"].map(kinds), chance=np.nan)
    joined = per_ring["held"] >= np.minimum(2, per_ring["group_size"])
    if accounts is not None and len(per_ring):
        per_ring["chance"] = _chance(per_ring, groups, members, accounts)
        joined &= per_ring["chance"] < LOOKALIKE_CHANCE / len(per_ring)
    return per_ring.assign(joined=joined.to_numpy(dtype=bool))


def _chance(per_ring: pd.DataFrame, groups: pd.DataFrame, members: pd.DataFrame,
            accounts: Mapping[str, int]) -> np.ndarray:
    """Per (group, ring): the chance of the ring holding ``held`` or more of the group's accounts.

    A ring member is one of the group's as often as the group's accounts of
    that type are a share of the market's (per account type: a carrier NAT
    holds more of the creators, who log in from more IPs, than of the shops);
    the count is binomial over the ring's account members.
    """
    market = pd.Series({t: max(int(n), 1) for t, n in accounts.items()}, dtype="float64")
    share = (groups.groupby(["group_id", "account_type"]).size().unstack(fill_value=0)
             .div(market, axis=1).fillna(0.0))
    mix = members.groupby(["ring", "type"]).size().unstack(fill_value=0)
    share = share.reindex(columns=mix.columns, fill_value=0.0)
    ring_mix = mix.loc[per_ring["ring"].to_numpy()].to_numpy(dtype=np.float64)
    group_share = share.loc[per_ring["group_id"].to_numpy()].to_numpy()
    n = ring_mix.sum(axis=1)
    p = np.clip((ring_mix * group_share).sum(axis=1) / np.maximum(n, 1), 0.0, 1.0)
    return binom.sf(per_ring["held"].to_numpy() - 1, n, p)


def market_accounts(snapshot: Path | str) -> dict[str, int]:
    """The accounts per type of a snapshot directory (the denominators of the look-alike chance).

    Creators and shops from their tables, sellers from the shops, buyers from the
    orders and the identity links.
    """
    folder = Path(snapshot)
    shops = pd.read_csv(folder / "shops.csv", dtype=str, usecols=["shop_id", "seller_id"])
    links = pd.read_csv(folder / "identity_links.csv", dtype=str,
                        usecols=["account_type", "account_id"])
    buyers = set(pd.read_csv(folder / "orders.csv", dtype=str, usecols=["buyer_id"])["buyer_id"])
    buyers |= set(links.loc[links["account_type"] == AccountType.BUYER, "account_id"])
    creators = pd.read_csv(folder / "creators.csv", dtype=str, usecols=["creator_id"])
    return {AccountType.CREATOR: creators["creator_id"].nunique(),
            AccountType.SHOP: shops["shop_id"].nunique(),
            AccountType.SELLER: shops["seller_id"].nunique(), AccountType.BUYER: len(buyers)}


def _verdicts(rings: Iterable[Mapping[str, Any]], labels: pd.DataFrame) -> pd.DataFrame:
    """Per flagged ring: ``score``, ``size`` (account members) and ``correct``."""
    kept = [r for r in rings if r.get("status") != Lifecycle.DISSOLVED]
    members, n_rings = _account_members(kept)
    fraud = set(_keyed(labels)["key"])
    return pd.DataFrame({
        "score": np.array([float(r.get("score") or 0.0) for r in kept], dtype=np.float64),
        "size": members.groupby("ring").size().reindex(range(n_rings), fill_value=0).to_numpy(),
        "correct": _correct_rings(members, fraud, n_rings),
    })


def _buckets(verdicts: pd.DataFrame, bucket: np.ndarray, names: list[str]) -> tuple[Bucket, ...]:
    result = []
    for number, name in enumerate(names):
        inside = verdicts[bucket == number]
        correct = int(inside["correct"].sum())
        result.append(Bucket(name=name, rings=len(inside), correct=correct,
                             precision=_ratio(correct, len(inside)),
                             mean_score=float(inside["score"].mean()) if len(inside) else 0.0))
    return tuple(result)


def _bucket_table(what: str, buckets: tuple[Bucket, ...], *, scores: bool) -> str:
    header = f"{what:<10} {'rings':>7} {'correct':>8} {'precision':>10}" + (
        f" {'mean score':>11}" if scores else "")
    lines = [header, "-" * len(header)]
    for b in buckets:
        precision = f"{b.precision:.3f}" if b.rings else "-"
        line = f"{b.name:<10} {b.rings:>7d} {b.correct:>8d} {precision:>10}"
        if scores:
            line += f" {f'{b.mean_score:.3f}' if b.rings else '-':>11}"
        lines.append(line)
    return "\n".join(lines)
