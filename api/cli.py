"""The ``ringwatch`` command line: load, detect, run, and the tools around them.

Exit codes a scheduler can act on (docs/contract.md, section 3): 0 done (also
when rows were quarantined), 2 the input cannot be used at all (a missing table
or column, a store with nothing loaded; one line says which), 3 the store
cannot be reached, 4 the API's port is taken, 1 any other failure.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from ringwatch import RingwatchError
from ringwatch.collector import settle_after_imports
from ringwatch.detection import DETECTION_STEPS, detect_into
from ringwatch.detectors.pipeline import Engine as DetectionEngine
from ringwatch.detectors.pipeline import RunResult
from ringwatch.domain import Lifecycle, LoadSummaryDocument, Ring, Run
from ringwatch.durable import keep_files_private
from ringwatch.forked import workers_from_env
from ringwatch.graph.errors import StoreEmptyError
from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import LoadResult, LoadSummary
from ringwatch.loaders.memory_pool import reuse_freed_memory
from ringwatch.loading import load_into
from ringwatch.ring_history import account_count
from ringwatch.store_settings import Backend, StoreSettings
from ringwatch.tables import TABLES
from ringwatch.wording import count

from .cli_options import (
    CONTRACT,
    BackendOption,
    DataOption,
    PortInUseError,
    StoreOption,
    Ui,
    console,
    exit_codes,
    hoisted,
    log,
    progress_bars,
    removing_what_it_made,
    warn,
)
from .engine_choice import (
    Engine,
    EngineOption,
    SparkMasterOption,
    check_engine,
    engine_for,
    spark_load_into,
)
from .score_text import score_texts
from .wiring import bulk_import_for, loaded_store, run_sink, store_for

if TYPE_CHECKING:
    from ringwatch.graph.neo4j_bulk import Neo4jBulkImport

app = typer.Typer(
    help="Ringwatch finds account farms, collusion rings and commission abuse in a "
    "live-shopping marketplace snapshot, as a graph.\n\n"
    "Start with `ringwatch demo`; the snapshot format, rings.jsonl and the exit codes "
    f"(0 done, 1 failure, 2 unusable input, 3 store unreachable, 4 port taken) are in {CONTRACT}.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _configure(
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Only warnings, errors and the paths of what was written; no "
        "progress bars or tables.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Debug logs, and a traceback with unexpected errors.")] = False,
    log_level: Annotated[str | None, typer.Option(
        help="Log level: debug, info, warning, error \\[default: info; warning with --quiet, "
        "debug with --verbose].", show_default=False)] = None,
) -> None:
    Ui.quiet, Ui.verbose = quiet, verbose
    keep_files_private()  # the store, the audit log and the outputs are 0600 / 0700
    reuse_freed_memory()  # Arrow's pool for the whole process: see loaders/memory_pool.py
    level = log_level or ("debug" if verbose else "warning" if quiet else "info")
    # Logs go to stderr through the same console as the progress bars, so a log line is
    # printed above the live bars instead of being glued onto them.
    handler = RichHandler(console=console, show_path=False, rich_tracebacks=False,
                          log_time_format="[%X]", markup=False)
    logging.basicConfig(level=level.upper(), handlers=[handler], format="%(message)s", force=True)


@app.command()
def load(
    data: DataOption,
    backend: BackendOption = Backend.local,
    store_dir: StoreOption = None,
    quarantine: Annotated[Path, typer.Option(
        help="Where bad rows go, one TABLE.csv per table with its reason.")] = Path("quarantine"),
    replace: Annotated[bool, typer.Option(
        help="Replace the marketplace graph and its runs and rings instead of updating it in "
        "place; API keys, the audit log and reviewers' verdicts are kept.")] = False,
    summary_json: Annotated[Path | None, typer.Option(
        "--summary-json", help="Also write the load summary as JSON to this file.")] = None,
    bulk: Annotated[bool, typer.Option(
        "--bulk", help="First load of an empty Neo4j database (--backend neo4j, the bundled "
        "server of tools/neo4j_launcher only): stop it, build the store with Neo4j's offline "
        "importer, start it again. Many times faster than the driver; refused (exit 2) when the "
        "database holds anything.")] = False,
) -> None:
    """Validate a snapshot and load it into the graph store.

    Bad rows are quarantined (never dropped) with a reason naming the column and
    value; the summary reconciles every table: read = loaded + quarantined.
    Loading the same snapshot twice changes nothing; a later snapshot updates
    the graph in place.
    """
    with exit_codes(), removing_what_it_made(quarantine, _local_store_dir(backend, store_dir)):
        summary = load_into_store(data, backend=backend, store_dir=store_dir,
                                  quarantine_dir=quarantine, replace=replace, bulk=bulk)
        if summary_json:
            summary_json.write_text(json.dumps(summary.as_dict(), indent=2))


def _local_store_dir(backend: Backend, store_dir: Path | None) -> Path | None:
    """The directory a local store would be made in (None for Neo4j)."""
    if Backend(backend) is not Backend.local:
        return None
    return StoreSettings.from_env(backend=backend, store_dir=store_dir).store_dir


def load_into_store(data: Path, *, backend: Backend, store_dir: Path | None,
                    quarantine_dir: Path, replace: bool = False, bulk: bool = False,
                    load: Callable[..., LoadResult] = load_into,
                    into: GraphStore | Neo4jBulkImport | None = None) -> LoadSummary:
    """Validate, quarantine, write to the store, and print the summary table; returns the summary.

    The store is opened first: a Neo4j without a password or out of reach is
    reported before minutes go into validating the snapshot. With ``replace``
    the store is emptied only once the snapshot is validated and its columns
    are known to fit the graph (the store's write does it), so a refused load
    never leaves an empty store behind. ``bulk`` loads an empty Neo4j database through the
    offline importer instead (:mod:`ringwatch.graph.neo4j_bulk`). ``load`` validates and
    writes (``load_into``; ``run --engine spark`` validates on Spark). ``into``: a store (or
    the offline importer) the caller opened and closes, to detect on next (both stores keep
    the projections the load computed in memory).
    """
    if bulk and backend is not Backend.neo4j:
        raise RingwatchError("--bulk loads through Neo4j's offline importer: it needs "
                             "--backend neo4j")
    store = into if into is not None else (
        bulk_import_for() if bulk else store_for(backend, store_dir=store_dir))
    with nullcontext(store) if into is not None else store, progress_bars() as progress:
        task = progress.add_task("validating", total=len(TABLES))

        def validated(table: str) -> None:
            progress.update(task, description=f"validating {table}", advance=1)

        write = progress.add_task(f"writing to {store.backend}", total=None, visible=False)

        def checked(loaded: LoadResult) -> None:
            progress.update(task, completed=len(TABLES), description="validated")
            progress.update(write, total=loaded.snapshot.rows, visible=True)

        def written(table: str, rows: int) -> None:
            progress.update(write, advance=rows, description=f"writing {table}")

        result = load(store, data, quarantine_dir=quarantine_dir, replace=replace,
                      validated=validated, checked=checked, written=written)
        progress.update(write, completed=result.snapshot.rows, description="written")
    print_summary(result.summary, quarantine_dir)
    log.info("loaded %s into the %s store (%s): %d rows, %d quarantined", data, backend.value,
             _where(store), result.snapshot.rows, result.summary.quarantined)
    for warning in result.summary.warnings:
        warn(warning)
    return result.summary


def _where(store: object) -> str:
    """The store's location for messages: the local directory or the Neo4j URI."""
    return str(getattr(store, "directory", None) or getattr(store, "uri", None) or store.backend)


def print_summary(summary: LoadSummary, quarantine_dir: Path) -> None:
    """Print the per-table reconciliation: read = loaded + quarantined, with the reasons."""
    if Ui.quiet:
        return
    table = Table(title=f"Load summary: {summary.snapshot}")
    for column in ("table", "file", "read", "loaded", "quarantined", "reasons"):
        table.add_column(column, justify="right" if column in {"read", "loaded",
                                                               "quarantined"} else "left")
    for t in summary.tables:
        reasons = ", ".join(f"{code} {n}" for code, n in sorted(t.reasons.items()))
        table.add_row(t.table, t.file or "(absent)", f"{t.read:,}", f"{t.loaded:,}",
                      f"{t.quarantined:,}", reasons)
    out = Console(width=max(Console().width, 120))
    out.print(table)
    verdict = "reconciles" if summary.reconciles else "DOES NOT RECONCILE"
    where = f"; bad rows in {quarantine_dir}/" if summary.quarantined else ""
    out.print(f"every table {verdict}: read = loaded + quarantined{where}")


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Directory to write the snapshot and labels.csv into.")],
    scale: Annotated[float, typer.Option(
        help="Size: 1 is about 100,000 rows in total, 100 about 10 million.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same files.")] = 7,
    hard_negatives: Annotated[bool, typer.Option(
        help="Plant legitimate look-alikes (agencies, families, NAT IPs, a hit shop).")] = True,
    fmt: Annotated[str, typer.Option("--format", help="csv, csv.gz or parquet.")] = "csv",
    profile: Annotated[str, typer.Option(
        help="plain (an ordinary marketplace with planted rings), evasion (plus farms and "
        "collusion using evasion tactics, and harder honest look-alikes), sybil (identity "
        "links only, shaped like airdrop sybil data) or benign (plain plus many honest "
        "structures that look like rings: boosted campaigns, high-refund categories, flash "
        "sales, households, brand teams, ...).")] = "plain",
) -> None:
    """Write a synthetic marketplace snapshot with planted fraud rings and their labels.

    For demos, tests and benchmarks only: production loads read a real export.
    """
    from ringwatch.generator import GeneratorConfig, generate_snapshot

    with exit_codes():
        made = generate_snapshot(out, GeneratorConfig(scale=scale, seed=seed, profile=profile,
                                                      hard_negatives=hard_negatives, fmt=fmt))
        for table, rows in made.rows.items():
            typer.echo(f"{table}: {rows:,} rows")
        for typology, rings in made.rings.items():
            typer.echo(f"planted {typology}: {rings} rings")


@app.command()
def detect(
    out: Annotated[Path, typer.Option(help="Directory for rings.jsonl, run.json and report.html.")],
    backend: BackendOption = Backend.local,
    store_dir: StoreOption = None,
    top: Annotated[int, typer.Option(help="Rings drawn in the report.")] = 20,
    engine: EngineOption = Engine.in_process,
    spark_master: SparkMasterOption = "local[*]",
) -> None:
    """Detect rings on what is already loaded and write them (highest score first).

    Rings keep their ids, first-detected time and review status from earlier
    runs when found again; rings no longer found are marked dissolved. The
    detectors run over RINGWATCH_WORKERS processes (default: every core this
    process may use; 1: one process), with the same findings.
    """
    with exit_codes():
        workers = workers_from_env()  # read first: a bad setting fails before any work
        store = store_for(backend, store_dir=store_dir, create=False)
        with store:
            if not any(store.counts().get(label, 0) for label in ("Creator", "Shop", "USES",
                                                                  "Order")):
                raise StoreEmptyError(
                    f"the {store.backend} store {_where(store)} holds no snapshot: load one first "
                    f"(ringwatch load --data DIR{_store_flag(backend, store_dir)})")
            with engine_for(engine, store, master=spark_master) as chosen:
                detect_and_write(store, out, top=top, engine=chosen, workers=workers)


def _store_flag(backend: Backend, store: Path | None) -> str:
    """The options that point a later command at the same store, for the hints we print."""
    if Backend(backend) is Backend.neo4j:
        return " --backend neo4j"
    return f" --store {store}" if store else ""


@app.command()
def run(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="Directory for rings.jsonl, report.html, run.json, "
                                      "load_summary.json and quarantine/.")],
    backend: BackendOption = Backend.local,
    store_dir: StoreOption = None,
    top: Annotated[int, typer.Option(help="Rings drawn in the report.")] = 20,
    engine: EngineOption = Engine.in_process,
    spark_master: SparkMasterOption = "local[*]",
    bulk: Annotated[bool | None, typer.Option(
        "--bulk/--no-bulk", help="With --backend neo4j, how the snapshot is loaded. Default: "
        "through Neo4j's offline importer when the database holds nothing at all (a new "
        "deployment) and is the bundled server of tools/neo4j_launcher, as load --bulk does "
        "(the server is stopped and started again around the import), else through the "
        "driver, in place. --bulk insists on the importer (refused, exit 2, when the database "
        "holds anything), --no-bulk on the driver.", show_default=False)] = None,
) -> None:
    """Load a snapshot, detect rings and write rings.jsonl and a report: the main job.

    With --backend neo4j, a first load into an empty bundled database goes through
    the offline importer (see --bulk). Exit 0 on success (also when rows were
    quarantined), 2 with a one-line reason when the snapshot cannot be used at
    all, 3 when the store cannot be reached. The detectors run over
    RINGWATCH_WORKERS processes (default: every core this process may use; 1: one
    process), with the same findings.
    """
    with exit_codes(), removing_what_it_made(out, _local_store_dir(backend, store_dir)):
        check_engine(engine)
        workers = workers_from_env()  # read first: a bad setting fails before any work
        out.mkdir(parents=True, exist_ok=True)
        # One store for the load and the detection: the projections the load computed reach
        # the detection in memory instead of being read back (on Neo4j, the store the offline
        # importer's sink hands over).
        with run_sink(backend, store_dir=store_dir, bulk=bulk) as sink:
            summary = load_into_store(data, backend=backend, store_dir=store_dir,
                                      quarantine_dir=out / "quarantine",
                                      load=spark_load_into(spark_master)
                                      if Engine(engine) is Engine.spark else load_into, into=sink)
            (out / "load_summary.json").write_text(json.dumps(summary.as_dict(), indent=2))
            store = loaded_store(sink)
            with engine_for(engine, store, master=spark_master) as chosen:
                detect_and_write(store, out, top=top, summary=summary.as_dict(), engine=chosen,
                                 workers=workers)


def detect_and_write(store: GraphStore, out: Path, *, top: int = 20,
                     summary: LoadSummaryDocument | None = None,
                     engine: DetectionEngine | None = None,
                     workers: int | None = None) -> RunResult:
    """Run detection on ``store``, write rings.jsonl, run.json and report.html into ``out``, and
    tell the user what was found and where it went. ``workers``: the processes the detectors'
    searches use (None: ``RINGWATCH_WORKERS``)."""
    workers = workers_from_env() if workers is None else workers
    with progress_bars() as progress:
        task = progress.add_task("detecting", total=len(DETECTION_STEPS))

        def step(name: str) -> None:
            progress.update(task, description=name, advance=1)

        result = detect_into(store, out, progress=step, engine=engine, workers=workers,
                             extra={"load_summary": summary} if summary else None)
        progress.update(task, completed=len(DETECTION_STEPS), description="detected")
    _write_report(store, out, result, top=top, summary=summary)
    _print_top(result)
    for name, used in (Run.from_json(result.run).detectors or {}).items():
        if used.get("nothing_to_work_on"):
            warn(f"{name.replace('_', ' ')} had nothing to work on: {used['why']}")
    typer.echo(f"rings: {out / 'rings.jsonl'}")
    typer.echo(f"report: {out / 'report.html'}")
    typer.echo(f"run record: {out / 'run.json'}")
    return result


def _write_report(store: GraphStore, out: Path, result: RunResult, *, top: int,
                  summary: LoadSummaryDocument | None) -> None:
    from ringwatch.graph.subgraph import SUBGRAPH_PROJECTIONS
    from ringwatch.reporting import subgraph_projections, subgraphs_for

    from .report import write_report

    # The run's own projections when it has them (the ones it detected on), else the store's.
    projections = ({name: result.projections[name] for name in SUBGRAPH_PROJECTIONS}
                   if all(name in result.projections for name in SUBGRAPH_PROJECTIONS)
                   else subgraph_projections(store))
    subgraphs = subgraphs_for(result.rings, projections, top)
    write_report(out, run=result.run, rings=result.rings, subgraphs=subgraphs, summary=summary,
                 top=top)


def _print_top(result: RunResult, limit: int = 10) -> None:
    if Ui.quiet or not result.rings:
        return
    run = Run.from_json(result.run)
    out = Console(width=max(Console().width, 120))
    shown = min(limit, len(result.rings))
    table = Table(title=f"Run {run.run_id}: top {shown} of {run.rings} rings by score, ties by "
                  f"commission at stake ({run.new} new, {run.persisting or 0} persisting, {run.dissolved} "
                  "dissolved since the last run; all of them in rings.jsonl)")
    for column in ("ring_id", "kind", "score", "status", "accounts", "top evidence"):
        table.add_column(column)
    top = [Ring.from_json(ring) for ring in result.rings[:limit]]
    for ring, score in zip(top, score_texts([ring.score for ring in top]), strict=True):
        evidence = ring.evidence[0].text if ring.evidence else ""
        table.add_row(ring.ring_id, str(ring.kind), score, ring.status,
                      str(account_count(ring)), evidence)
    out.print(table)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Directory for the generated snapshot, the store "
                                      "and the results.")] = Path("ringwatch-demo"),
    scale: Annotated[float, typer.Option(help="Marketplace size: 1 is about 100,000 rows.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed of the generated marketplace.")] = 7,
) -> None:
    """Generate a marketplace with planted rings, run it end to end on the embedded store,
    print the top rings and the evaluation against the planted labels (and two baselines)."""
    from ringwatch.generator import GeneratorConfig, generate_snapshot

    with exit_codes():
        snapshot = out / "snapshot"
        generate_snapshot(snapshot, GeneratorConfig(scale=scale, seed=seed))
        store_dir = out / "store"
        LocalStore(store_dir).clear()
        results = out / "results"
        summary = load_into_store(snapshot, backend=Backend.local, store_dir=store_dir,
                                  quarantine_dir=results / "quarantine")
        store = store_for(Backend.local, store_dir=store_dir)
        result = detect_and_write(store, results, summary=summary.as_dict())
        _print_evaluation(store, result.rings, snapshot / "labels.csv")
        prog = _program()
        typer.echo(f"\nReview these rings in the browser, on the store the demo wrote ({store_dir}):\n"
                   f"  {prog} keys create --role investigator --label me --store {store_dir}\n"
                   f"  {prog} serve --store {store_dir}      # then open http://127.0.0.1:8080/ui "
                   "and paste the key")


def _program() -> str:
    """How the user invoked us (``.venv/bin/ringwatch`` or ``ringwatch``), for hints to copy."""
    import sys

    called = Path(sys.argv[0])
    if called.name == "ringwatch" and str(called) != "ringwatch" and not called.is_absolute():
        return str(called)
    return "ringwatch"


@app.command("eval")
def evaluate_rings(
    rings: Annotated[Path | None, typer.Option(help="rings.jsonl written by run or detect.")] = None,
    labels: Annotated[Path | None, typer.Option(
        help="Ground truth: ring_id, account_type, account_id, typology (evaluation only, "
        "never an input).")] = None,
    reviews: Annotated[bool, typer.Option(
        "--reviews", help="Judge each detector by the reviewers' decisions in the store "
        "instead: confirmed rings are right, dismissed ones wrong.")] = False,
    backend: BackendOption = Backend.local,
    store_dir: StoreOption = None,
    baselines: Annotated[bool, typer.Option(
        help="Also score the baselines on the store's graph: connected components over shared "
        "identifiers, the same with a hub cap, Leiden with a minimum size, and FRAUDAR.")] = True,
    flag_score: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Rings scored at least this are the flagged ones that precision, "
        "recall and look-alikes are measured on (0: every ring); calibration uses every ring.")]
    = 0.5,
) -> None:
    """Print precision, recall and F1 per typology against labels, or per detector as reviewers judged.

    With --rings and --labels: creator-level and ring-level figures per typology
    and overall, fragmentation, a calibration table (score bucket against the
    observed share of mostly-fraudulent rings), precision by ring size, honest
    look-alike groups flagged (from lookalikes.csv beside the labels), and the
    baselines. With --reviews: each detector's precision
    from the confirm / dismiss decisions recorded in the store.
    """
    from ringwatch.detectors.evaluation import load_rings
    from ringwatch.review_feedback import (
        reliability,
        reliability_table,
        reviewer_precision,
        verdicts_table,
    )

    if not reviews and (rings is None or labels is None):
        raise typer.BadParameter("give --rings and --labels, or --reviews")
    with exit_codes():
        store = (store_for(backend, store_dir=store_dir, create=False) if (baselines or reviews)
                 else None)
        if rings is not None and labels is not None:
            _print_evaluation(store if baselines else None, load_rings(rings), labels,
                              flag_score=flag_score)
        if reviews and store is not None:
            typer.echo("Reviewers' verdicts per detector:")
            typer.echo(verdicts_table(reviewer_precision(store.rings())))
            typer.echo("\nReliability of the scores reviewers were shown (one verdict per ring, "
                       "kept across snapshots):")
            typer.echo(reliability_table(reliability(store.verdicts())))


def _print_evaluation(store: GraphStore | None, rings: list[dict], labels_path: Path,
                      baselines: tuple[str, ...] = ("components", "components_hub_cap", "leiden",
                                                    "fraudar"), *, flag_score: float = 0.5) -> None:
    """Ringwatch against the labels (with calibration, size and look-alike tables), then baselines.

    ``lookalikes.csv`` beside the labels, when present, lists honest groups
    that must stay unflagged (judged by the chance rule when the snapshot's
    tables sit beside it too); each baseline is scored on the store's graph.
    """
    from ringwatch.detectors.baselines import BASELINES
    from ringwatch.detectors.context import read_context
    from ringwatch.detectors.evaluation import (
        EvaluationError,
        assess,
        evaluate,
        load_labels,
        load_lookalikes,
        market_accounts,
    )

    if not labels_path.is_file():
        raise EvaluationError(f"{labels_path}: no such labels file (labels.csv, written beside "
                              "a generated snapshot)")
    labels = load_labels(labels_path)
    _check_one_snapshot(rings, labels, labels_path)
    if store is not None:
        _check_store_holds(rings, store)
    beside = labels_path.parent / "lookalikes.csv"
    lookalikes = load_lookalikes(beside) if beside.exists() else None
    snapshot = labels_path.parent
    tables = ("shops.csv", "identity_links.csv", "orders.csv", "creators.csv")
    accounts = (market_accounts(snapshot) if lookalikes is not None
                and all((snapshot / t).exists() for t in tables) else None)
    typer.echo(f"Ringwatch (rings scored {flag_score:g} or more):")
    typer.echo(assess(rings, labels, lookalikes, flag_score=flag_score,
                      accounts=accounts).table())
    if store is None:
        return
    ctx = read_context(store)
    for spec in BASELINES:
        if spec.name in baselines:
            typer.echo(f"\nBaseline, {spec.description}:")
            typer.echo(evaluate(spec.find(ctx), labels).table())


def _check_store_holds(rings: list[dict], store: GraphStore) -> None:
    """Refuse to score baselines on a store that never held these rings (another snapshot's).

    The baselines run on the store's graph and are set beside the rings: when
    no ring of the file is in the store, the two are of different markets.
    """
    from ringwatch.detectors.evaluation import EvaluationError

    given = {r.get("ring_id") for r in rings if r.get("ring_id")}
    if given and not given & {r.ring_id for r in store.rings()}:
        raise EvaluationError(
            f"none of the {count(len(given), 'ring')} in the file is in the store the baselines would "
            "run on: give the --store (or --no-baselines) of the snapshot the rings came from")


def _check_one_snapshot(rings: list[dict], labels: pd.DataFrame, labels_path: Path) -> None:
    """Refuse rings and labels of two different snapshots: every figure would be 0, silently.

    Ids are opaque and differ between snapshots, so rings from one market judged
    by another's labels share no account. When some rings hold accounts and
    none of those accounts is in the labels or, when the snapshot's
    ``creators.csv`` sits beside the labels, none of the rings' creators is
    there, the two are not of one snapshot.
    """
    from ringwatch.detectors.evaluation import EvaluationError

    accounts = {(m.get("type"), m.get("id")) for r in rings for m in r.get("members") or []
                if m.get("type") in ("creator", "shop", "seller", "buyer")}
    if not accounts:
        return
    labelled = set(zip(labels["account_type"], labels["account_id"], strict=True))
    creators_csv = labels_path.parent / "creators.csv"
    known = set()
    if creators_csv.is_file():
        known = {("creator", c) for c in pd.read_csv(creators_csv, dtype=str,
                                                    usecols=["creator_id"])["creator_id"]}
    if not accounts & labelled and (not known or not accounts & known):
        raise EvaluationError(
            f"the rings and {labels_path} are not of one snapshot: none of the "
            f"{len(accounts):,} accounts in the rings is labelled"
            + (f" or in {creators_csv}" if known else "") + "; give the labels.csv of the "
            "snapshot the rings were detected on")


@app.command()
def serve(
    backend: Annotated[Backend | None, typer.Option(
        "--backend", help="Graph store: 'local' or 'neo4j' \\[default: $RINGWATCH_API_BACKEND or "
        "local].", show_default=False)] = None,
    store_dir: StoreOption = None,
    host: Annotated[str | None, typer.Option(
        help="Address to listen on \\[default: $RINGWATCH_API_HOST or 127.0.0.1]. Beyond "
        "loopback only once an API key exists.", show_default=False)] = None,
    port: Annotated[int | None, typer.Option(
        help="Port \\[default: $RINGWATCH_API_PORT or 8080].", show_default=False)] = None,
    tls_cert: Annotated[Path | None, typer.Option(
        "--tls-cert", help="PEM certificate: serve HTTPS (with --tls-key).", exists=True,
        dir_okay=False)] = None,
    tls_key: Annotated[Path | None, typer.Option(
        "--tls-key", help="PEM private key of --tls-cert.", exists=True, dir_okay=False)] = None,
    allow_plain_http: Annotated[bool, typer.Option(
        "--allow-plain-http", help="Serve plain HTTP beyond loopback (only behind a reverse "
        "proxy that terminates TLS).")] = False,
) -> None:
    """Serve the review API (OpenAPI at /docs) and the review page (/ui).

    Every endpoint but health, metrics and docs needs a key from
    `ringwatch keys create`; every log line carries its request id. Exit 4 when
    the port is taken.
    """
    import uvicorn
    from pydantic import ValidationError

    from .app import create_app
    from .middleware import configure_logging
    from .server import check_transport, redact_access_log, uvicorn_config
    from .settings import ApiSettings, check_exposure

    with exit_codes():
        given = {"backend": backend, "store_dir": store_dir, "host": host, "port": port,
                 "tls_cert": tls_cert, "tls_key": tls_key,
                 "allow_plain_http": allow_plain_http or None}
        try:
            settings = ApiSettings(**{k: v for k, v in given.items() if v is not None})
        except ValidationError as exc:
            raise RingwatchError(f"invalid API settings: {exc.errors()[0]['msg']} "
                                 f"({'.'.join(map(str, exc.errors()[0]['loc']))})") from None
        with store_for(settings.backend, store_dir=settings.store_dir, create=False) as store:
            usable = [k for k in store.api_keys() if not k.revoked]
            check_exposure(settings, len(usable))  # a clear error before uvicorn starts
            check_transport(settings)
            described = _describe_store(store)
        listening = _bind(settings.host, settings.port)
    configure_logging(logging.getLevelName(logging.getLogger().level).lower())
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    for line in described:
        log.log(logging.WARNING if line.startswith("the store holds") else logging.INFO, line)
    scheme = "https" if settings.tls_cert else "http"
    log.info("review page: %s://%s:%d/ui, API documentation: %s://%s:%d/docs", scheme, host,
             settings.port, scheme, host, settings.port)
    redact_access_log()
    uvicorn.Server(uvicorn_config(create_app(settings), settings)).run(sockets=[listening])


def _describe_store(store: GraphStore) -> list[str]:
    """What ``serve`` is about to serve, in a few log lines: store, latest run, rings, keys."""
    lines = [f"serving the {store.backend} store {_where(store)}"]
    runs = store.runs()
    rings = [r for r in store.rings() if r.lifecycle is not Lifecycle.DISSOLVED]
    keys = [k for k in store.api_keys() if not k.revoked]
    if runs:
        latest = max(runs, key=lambda r: r.started_at or "")
        lines.append(f"latest run {latest.run_id} at {latest.started_at}: "
                     f"{len(rings)} rings to review")
    else:
        lines.append("the store holds no detection run yet: the ring list will be empty until "
                     "`ringwatch run` or `ringwatch detect` writes to this store")
    if not keys:
        lines.append("the store holds no API key: create one with `ringwatch keys create "
                     "--role investigator` (same --store) to use the page")
    return lines


def _bind(host: str, port: int) -> socket.socket:
    """Take the port before the app starts, so a taken port is one line and exit code 4."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host.strip("[]"), port))
    except OSError as exc:
        listening.close()
        raise PortInUseError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; stop the "
                             "process that holds it or choose another --port") from None
    listening.listen(2048)
    listening.set_inheritable(True)
    return listening


def _register_subcommands() -> None:
    from .cli_enforce import enforce
    from .cli_keys import keys_app

    app.add_typer(keys_app, name="keys")
    app.command()(enforce)


_register_subcommands()


def main() -> None:
    """Entry point of the ``ringwatch`` command (global options allowed after the command)."""
    settle_after_imports()  # the garbage collector set for a command's work: core/collector.py
    app(args=hoisted(sys.argv[1:]), prog_name="ringwatch")
