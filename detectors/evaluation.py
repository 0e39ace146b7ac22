"""How good flagged rings are, measured against planted ground truth (``labels.csv``).

Labels are for evaluation only, never an input to detection (docs/contract.md section 3):
``ring_id, account_type, account_id, typology``, one row per planted ring member.
Two questions get two kinds of figures, per typology and overall:

- creator level: are the creators we flag the fraudulent ones (precision), and
  do we flag every fraudulent creator (recall)? Creators are where commission
  is paid, so this is the figure a marketplace's losses follow;
- ring level: is each flagged ring really a ring (precision), and is each
  planted ring found (recall)? This is what a reviewer's queue feels like.

Every ratio whose denominator is zero (no ring flagged, no creator planted) is
defined as 0.0, so an empty run reports zeros instead of failing; the counts
beside each figure tell a real zero from an empty denominator.

Example
-------
>>> labels = load_labels("snapshot/labels.csv")  # doctest: +SKIP
>>> print(evaluate(load_rings("out/rings.jsonl"), labels).table())  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from ringwatch import RingwatchError

from .rings import ACCOUNT_TYPES

LABEL_COLUMNS = ("ring_id", "account_type", "account_id", "typology")
#: Account types that carry a planted ring in ring-level recall; buyers are fodder
#: (throwaway accounts a ring buys through) and only count when a ring has nothing else.
CORE_TYPES = ("creator", "shop", "seller")
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
        header = (f"{'typology':<16} {'cre P':>6} {'cre R':>6} {'cre F1':>6} {'ring P':>6} "
                  f"{'ring R':>6} {'flagged':>8} {'correct':>8} {'planted':>8} {'recalled':>8} "
                  f"{'creators caught/true':>21}")
        lines = [header, "-" * len(header)]
        for s in (*self.typologies, self.overall):
            if s is self.overall:
                lines.append("-" * len(header))
            lines.append(
                f"{s.name:<16} {s.creator_precision:>6.3f} {s.creator_recall:>6.3f} "
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
    try:
        labels = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"{path}: cannot read labels ({exc})") from exc
    missing = [c for c in LABEL_COLUMNS if c not in labels.columns]
    if missing:
        raise EvaluationError(
            f"{path}: labels lack required column {', '.join(missing)} "
            f"(found columns: {', '.join(map(str, labels.columns)) or 'none'})")
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
    labelled = labels.assign(key=labels["account_type"] + ":" + labels["account_id"])
    members, n_rings = _account_members(rings)
    fraud = set(labelled["key"])

    # Flagged rings: correctness and attribution.
    members["labelled"] = members["key"].isin(fraud)
    per_ring = members.groupby("ring")["labelled"].agg(["sum", "size"]).reindex(range(n_rings),
                                                                                 fill_value=0)
    correct = (2 * per_ring["sum"] > per_ring["size"]).to_numpy()
    typed = members.merge(labelled[["key", "typology"]].drop_duplicates(), on="key")
    votes = typed.groupby(["ring", "typology"]).size().rename("n").reset_index()
    votes = votes.sort_values(["ring", "n", "typology"], ascending=[True, False, True])
    attributed = votes.drop_duplicates("ring").set_index("ring")["typology"].reindex(range(n_rings))

    # Planted rings: their core accounts, covered by any flagged ring.
    flagged_accounts = set(members["key"])
    core = labelled[labelled["account_type"].isin(CORE_TYPES)]
    core = pd.concat([core, labelled[~labelled["ring_id"].isin(core["ring_id"])]])
    core = core.drop_duplicates(["ring_id", "key"]).assign(covered=lambda f: f["key"].isin(
        flagged_accounts))
    planted = core.groupby("ring_id")["covered"].agg(["sum", "size"])
    planted["recalled"] = 2 * planted["sum"] >= planted["size"]
    planted["typology"] = labelled.groupby("ring_id")["typology"].agg(lambda s: s.mode().iloc[0])

    creators = members[members["type"] == "creator"]
    predicted = set(creators["key"])
    true_by_typology = labelled[labelled["account_type"] == "creator"].groupby("typology")["key"]

    def scores(name: str, rings_mask: np.ndarray, planted_rows: pd.DataFrame, true: set[str]) -> Scores:
        chosen = creators[creators["ring"].isin(per_ring.index[rings_mask])]["key"]
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


def _account_members(rings: Iterable[Mapping[str, Any]]) -> tuple[pd.DataFrame, int]:
    """Rows (flagged ring position, account type, ``type:id`` key), and how many rings were flagged."""
    kept = [r for r in rings if r.get("status") != "dissolved"]
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
