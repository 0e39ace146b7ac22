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
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
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
    "\\[default: ./.ringwatch/store]; later commands must point at the same one.",
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


@contextmanager
def progress_bars() -> Iterator[Progress]:
    """The commands' progress bars on stderr (none with --quiet).

    They stay on screen when the work is done, and go when it fails: the
    error's one line then follows the command, not a blank line left by bars
    that had not started.
    """
    progress = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=False, disable=Ui.quiet)
    quiet = console.quiet
    try:
        with progress:
            try:
                yield progress
            except BaseException:
                # Stopped bars print nothing (rich would end them with a blank line when
                # stderr is not a terminal); the error's line follows the command.
                progress.live.transient = True
                console.quiet = True
                raise
    finally:
        console.quiet = quiet


class removing_what_it_made:
    """On failure, remove the directories a command made that are still without a file.

    ``ringwatch run --data TYPO --out out`` must not leave ``out/`` and an empty
    store behind: the next command would take the empty store for a loaded
    one. For each directory given, the outermost one that did not exist is
    remembered; on an error, it goes when no file was written under it.
    """

    def __init__(self, *directories: Path | None) -> None:
        self.made: list[Path] = []
        for directory in directories:
            if directory is None:
                continue
            outermost = None
            for candidate in (directory.absolute(), *directory.absolute().parents):
                if candidate.exists():
                    break
                outermost = candidate
            if outermost is not None:
                self.made.append(outermost)

    def __enter__(self) -> removing_what_it_made:
        return self

    def __exit__(self, error_type: type | None, error: BaseException | None, tb: object) -> bool:
        if error is not None:
            for directory in self.made:
                if directory.is_dir() and not any(p.is_file() for p in directory.rglob("*")):
                    shutil.rmtree(directory, ignore_errors=True)
        return False


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
        from ringwatch.detectors.evaluation import EvaluationError  # read only on a failure

        message = str(error)
        if isinstance(error, SnapshotError | StoreEmptyError | DatabaseNotEmptyError
                      | EvaluationError):
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


#: The options of ``ringwatch`` itself (its callback), said before or after the command.
_GLOBAL_FLAGS = frozenset({"-q", "--quiet", "-v", "--verbose"})
_GLOBAL_VALUED = "--log-level"


def hoisted(argv: list[str]) -> list[str]:
    """``argv`` with the global options moved in front of the command.

    ``ringwatch run --data d --out o -q`` is how people type it; the parser
    only takes ``-q`` before the command name, so the entry point moves
    ``-q``/``--quiet``, ``-v``/``--verbose`` and ``--log-level LEVEL`` there
    (nothing after ``--`` is touched).

    >>> hoisted(["run", "--data", "d", "-q", "--log-level", "info"])
    ['-q', '--log-level', 'info', 'run', '--data', 'd']
    """
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg in _GLOBAL_FLAGS or arg.startswith(_GLOBAL_VALUED + "="):
            front.append(arg)
        elif arg == _GLOBAL_VALUED and i + 1 < len(argv):
            front.extend(argv[i:i + 2])
            i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest
