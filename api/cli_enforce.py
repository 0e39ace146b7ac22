"""``ringwatch enforce``: the nightly enforcement job, from the shell.

The work is :func:`ringwatch.enforcement.job.enforce`; this adapter reads
the options, draws progress, prints the summary and turns failures into exit
codes a scheduler can act on (docs/enforcement.md): 0 done, 1 any other
failure, 2 the policy file (or the store directory) cannot be used, 3 the store
cannot be reached, 5 another enforcement job holds the output directory.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from ringwatch.domain import AccountType
from ringwatch.store_settings import Backend
from ringwatch.wording import count, type_noun

from .cli_options import EXIT_BAD_INPUT, BackendOption, StoreOption, console, exit_codes, progress_bars, say
from .wiring import store_for

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from ringwatch.enforcement.job import BatchOutcome, BlastRadius, Preview
    from ringwatch.enforcement.policy import Policy
    from ringwatch.graph.store import GraphStore

#: Exit code when another job holds the output directory's lock: the scheduler should
#: not retry at once (that job finishes every batch), only alert if it keeps happening.
EXIT_LOCKED = 5

#: Test hook, for the crash tests only (docs/enforcement.md): the job kills itself
#: with SIGKILL at a chosen moment. ``planned``: once the batch journal is durable,
#: before the actions file is written; ``N`` (0, 1, 2, ...): once N rings are marked in
#: the store, before the N-th ring's audit entry (``0``: the file is durable, no ring marked).
CRASH_AFTER_ENV = "RINGWATCH_ENFORCE_CRASH_AFTER"


class ActionFormat(str, Enum):
    """How the actions file is written."""

    jsonl = "jsonl"
    csv = "csv"


def _batch_id(value: str | None) -> str | None:
    from ringwatch.enforcement.journal import check_batch_id

    if value is None:
        return None
    try:
        return check_batch_id(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def enforce(
    out: Annotated[Path, typer.Option(
        help="Output directory: actions-BATCH.jsonl (or .csv), the batch journals under "
        "batches/, and the lock that keeps a second job out. Use one per store.")],
    backend: BackendOption = Backend.local,
    store_dir: StoreOption = None,
    policy: Annotated[Path | None, typer.Option(
        help="Policy file (TOML) mapping ring kind, status and score to actions; see "
        "docs/enforcement.md (default: the built-in policy: every confirmed ring's accounts "
        "suspended, payouts held, identifiers flagged, commission clawed back).",
        show_default=False)] = None,
    batch_id: Annotated[str | None, typer.Option(
        callback=_batch_id,
        help="Name of this batch (default: enforce-<UTC time to the microsecond>-<random>). A "
        "scheduler may pass its run's id: a batch already finished here is not run again, "
        "its file is re-exported as it was.", show_default=False)] = None,
    actor: Annotated[str, typer.Option(help="Who acts, for the audit log.")] = "enforcement-job",
    fmt: Annotated[ActionFormat, typer.Option(
        "--format", help="Actions file format: jsonl (one JSON object per line) or csv.")
    ] = ActionFormat.jsonl,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print what the job would do and its blast radius (creators, shops, "
        "buyers touched, commission held); write nothing, take no lock.")] = False,
) -> None:
    """The nightly enforcement job: rings become actions by a policy, exactly once per ring.

    Each ring the policy gives actions and no earlier batch enforced is planned
    into a batch journal; the batch's actions are written to its file and
    fsync-ed; only then is each ring marked enforced in the store
    (compare-and-set) and audited. A job killed at any point is finished by
    the next run, with the same action ids. Exit codes: 0 done, 1 failure,
    2 invalid policy file or no store, 3 store unreachable, 5 another
    enforcement job is running on --out.
    """
    from ringwatch.enforcement.job import DEFAULT_ACTOR, preview
    from ringwatch.enforcement.job import enforce as enforce_rings
    from ringwatch.enforcement.journal import EnforcementLockedError
    from ringwatch.enforcement.policy import DEFAULT_POLICY, PolicyError, load_policy

    with exit_codes():
        try:
            rules = load_policy(policy) if policy is not None else DEFAULT_POLICY
            store = store_for(backend, store_dir=store_dir, create=False)
            with store:
                if dry_run:
                    _print_preview(preview(store, out, policy=rules), rules.source)
                    return
                if batch_id is None and _nothing_to_do(store, out, rules, preview):
                    return
                with progress_bars() as bar:
                    report = enforce_rings(store, out, policy=rules, batch_id=batch_id,
                                           actor=actor or DEFAULT_ACTOR, fmt=fmt.value,
                                           progress=_Progress(bar))
        except PolicyError as exc:
            _fail(str(exc), EXIT_BAD_INPUT)
        except EnforcementLockedError as exc:
            _fail(str(exc), EXIT_LOCKED)
        for outcome in report.recovered:
            typer.echo(f"finished interrupted batch {outcome.batch_id}: "
                       f"{count(len(outcome.enforced), 'ring')} enforced "
                       f"({len(outcome.marked_now)} marked now), {count(outcome.actions, 'action')} "
                       f"in {outcome.file}{_withdrawn(outcome)}")
        _print_batch(report.batch)


def _nothing_to_do(store: GraphStore, out: Path, rules: Policy,
                   preview: Callable[..., Preview]) -> bool:
    """Say so and return True when no batch is unfinished and the policy plans no ring.

    A nightly job on a quiet night then names the store it read and leaves no
    empty actions file, lock or journal behind (a ring confirmed in the
    moment between this look and a job is the next night's).
    """
    found = preview(store, out, policy=rules)
    if found.unfinished or found.planned:
        return False
    typer.echo(f"nothing to enforce in {_store_words(store)}: the policy ({rules.source}) acts "
               f"on no ring that is waiting ({count(len(found.already), 'ring')} enforced "
               "earlier); no actions file written")
    return True


def _store_words(store: GraphStore) -> str:
    """``the local store at DIR`` or ``the neo4j store at URI``."""
    where = getattr(store, "directory", None) or getattr(store, "uri", None)
    return f"the {store.backend} store" + (f" at {where}" if where else "")


class _Progress:
    """Draws the marking of each batch as a bar, and carries the crash test hook."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None
        self.marked = 0
        self.crash_after = os.environ.get(CRASH_AFTER_ENV, "").strip() or None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "planned" and self.crash_after == "planned":
            _die()
        if stage == "exported":
            if self.crash_after == "0":
                _die()
            self.task = self.bar.add_task("marking rings enforced", total=total)
        if stage in ("marked", "checked") and self.task is not None:
            self.bar.update(self.task, completed=done)
        if stage == "marked":
            self.marked += 1
            if self.crash_after == str(self.marked):
                _die()


def _die() -> NoReturn:
    """Die the way ``kill -9`` kills: no cleanup, no flush (the crash tests' hook)."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise SystemExit(137)  # not reached


def _fail(message: str, code: int) -> NoReturn:
    console.print(f"ringwatch: error: {' '.join(message.split())}", markup=False, highlight=False,
                  soft_wrap=True)
    raise typer.Exit(code)


def _withdrawn(outcome: BatchOutcome) -> str:
    if not outcome.withdrawn:
        return ""
    return f"; {len(outcome.withdrawn)} withdrawn (changed before they were marked)"


def _print_batch(outcome: BatchOutcome) -> None:
    if outcome.re_exported:
        typer.echo(f"batch {outcome.batch_id} was finished earlier: "
                   f"{count(len(outcome.enforced), 'ring')} enforced, "
                   f"{count(outcome.actions, 'action')} re-exported to {outcome.file}; nothing "
                   "enforced twice")
    else:
        why = Counter(outcome.withdrawn.values())
        elsewhere = why.pop("earlier", 0)
        typer.echo(f"batch {outcome.batch_id}: {count(len(outcome.enforced), 'ring')} enforced, "
                   f"{count(outcome.actions, 'action')} in {outcome.file}; "
                   f"{len(outcome.already) + elsewhere} enforced earlier, {sum(why.values())} "
                   "changed during the job (next batch)"
                   + (f"; {elsewhere} taken by a job on another --out, withdrawn from this file"
                      if elsewhere else ""))
    if outcome.radius is not None and outcome.radius.actions:
        say(f"blast radius: {_radius(outcome.radius)}")


def _print_preview(found: Preview, source: str) -> None:
    typer.echo("dry run: nothing written, no ring marked, no lock taken")
    for batch, left in found.unfinished.items():
        typer.echo(f"would first finish interrupted batch {batch}: {count(left, 'ring')} left to "
                   "mark")
    actions = sum(len(r["actions"]) for r in found.planned)
    typer.echo(f"would plan a new batch by {source}: {count(len(found.planned), 'ring')}, "
               f"{count(actions, 'action')}; {len(found.already)} enforced earlier")
    by_rule: dict[str, list[int]] = {}
    for ring in found.planned:
        counts = by_rule.setdefault(ring["rule"], [0, 0])
        counts[0] += 1
        counts[1] += len(ring["actions"])
    for rule, (rings, n) in by_rule.items():
        typer.echo(f"  rule {rule!r}: {count(rings, 'ring')}, {count(n, 'action')}")
    for action, n in found.radius.by_action.items():
        typer.echo(f"  {action}: {n}")
    typer.echo(f"blast radius: {_radius(found.radius)}")


def _radius(radius: BlastRadius) -> str:
    """``12 creators, 3 shops, 40 buyers touched; commission held 1,234.50 USD`` and so on."""
    order = tuple(AccountType)
    accounts = [f"{n:,} {type_noun(t, n)}" for t in order
                for n in (radius.targets.get(t, 0),)]
    others = [f"{n:,} {type_noun(t, n)}" for t, n in radius.targets.items()
              if t not in (*order, "ring")]
    held = ", ".join(f"{amount:,.2f} {currency or '(no currency given)'}"
                     for currency, amount in sorted(radius.commission_held.items())) or "0.00"
    touched = ", ".join(accounts) + " touched" + (f" ({', '.join(others)})" if others else "")
    return (f"{count(radius.rings, 'ring')}, {count(radius.actions, 'action')}; {touched}; "
            f"commission held {held}")
