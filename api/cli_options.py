"""What every ``ringwatch`` command shares: exit codes, the store options, terminal output, errors.

The command modules (:mod:`.cli`, :mod:`.cli_keys`, :mod:`.cli_enforce`) all
import from here and never from each other, so any of them can be imported
first (a test imports each alone in a fresh interpreter).

Exit codes a scheduler can act on (docs/contract.md, section 3): 0 done (also
when rows were quarantined), 2 the input cannot be used at all, 3 the store
cannot be reached, 4 the API's port is taken, 1 any other failure.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ringwatch import RingwatchError
from ringwatch.graph.errors import DatabaseNotEmptyError, StoreEmptyError, StoreUnavailableError
from ringwatch.loaders import SnapshotError
from ringwatch.store_settings import Backend

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_STORE_UNAVAILABLE = 3
EXIT_PORT_IN_USE = 4

CONTRACT = "docs/contract.md in the Ringwatch repository"

#: stderr: progress bars, log lines, warnings and errors (stdout keeps what scripts read).
console = Console(stderr=True)
log = logging.getLogger("ringwatch")

DataOption = Annotated[Path, typer.Option(
    "--data", help="Snapshot directory: one file per table (NAME.csv, NAME.csv.gz or "
    "NAME.parquet): creators, shops, identity_links, orders, commissions, and optionally "
    f"affiliations, violations, allowlist; columns in {CONTRACT}, section 1.",
    show_default=False)]
BackendOption = Annotated[Backend, typer.Option(
    "--backend", help="Graph store: 'local' (embedded, no server) or 'neo4j' (uses "
    "RINGWATCH_NEO4J_URI, RINGWATCH_NEO4J_USER, RINGWATCH_NEO4J_PASSWORD).")]
StoreOption = Annotated[Path | None, typer.Option(
    "--store", envvar="RINGWATCH_STORE", help="Directory of the local store "
    "[default: ./.ringwatch/store]; later commands must point at the same one.",
    show_default=False)]


class Ui:
    """How chatty the terminal is: set once by the global options (``--quiet``, ``--verbose``)."""

    quiet = False
    verbose = False


def say(text: str) -> None:
    """A line for the user on stderr (hidden by --quiet)."""
    if not Ui.quiet:
        console.print(text, markup=False, highlight=False, soft_wrap=True)


def warn(text: str) -> None:
    """A warning on stderr, shown even with --quiet."""
    console.print(f"warning: {text}", style="yellow", markup=False, highlight=False,
                  soft_wrap=True)


def progress_bars() -> Progress:
    """The commands' progress bars on stderr (none with --quiet)."""
    return Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False, disable=Ui.quiet)


class PortInUseError(RingwatchError):
    """The API's address is taken by another process (its own exit code: 4)."""


class exit_codes:
    """Turn errors into one line on stderr and the documented exit code; never a traceback.

    An unexpected error is a bug: one line names it, and ``--verbose`` adds the
    traceback for the bug report.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(self, error_type: type | None, error: BaseException | None, tb: object) -> bool:
        if error is None or isinstance(error, typer.Exit | KeyboardInterrupt):
            return False
        message = str(error)
        if isinstance(error, SnapshotError | StoreEmptyError | DatabaseNotEmptyError):
            code = EXIT_BAD_INPUT
        elif isinstance(error, StoreUnavailableError):
            code = EXIT_STORE_UNAVAILABLE
        elif isinstance(error, PortInUseError):
            code = EXIT_PORT_IN_USE
        elif isinstance(error, RingwatchError):
            code = EXIT_FAILURE
        else:
            code = EXIT_FAILURE
            message = (f"unexpected {type(error).__name__}: {error} (a bug; run again with "
                       "--verbose for the traceback and report it)")
            if Ui.verbose:
                log.exception("unexpected failure")
        console.print(f"ringwatch: error: {' '.join(message.split())}", markup=False,
                      highlight=False, soft_wrap=True)
        raise typer.Exit(code)
