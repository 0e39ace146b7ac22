"""Where the graph lives and how to reach it: one frozen settings object, read from the environment here.

The stores receive these settings and never read the environment themselves,
so a batch job or a test can build them in code, and every variable a store
depends on is named in this one module: ``RINGWATCH_STORE`` for the local
store's directory, ``RINGWATCH_NEO4J_*`` for the Neo4j server.
:func:`ringwatch.stores.open_store` opens the store they describe.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from ringwatch import RingwatchError

#: The local store's directory when neither ``--store`` nor ``RINGWATCH_STORE`` names one.
DEFAULT_STORE_DIR = Path(".ringwatch/store")
DEFAULT_URI = "bolt://127.0.0.1:7687"
DEFAULT_USER = "neo4j"
DEFAULT_DATABASE = "neo4j"
DEFAULT_WRITE_SESSIONS = 2


class Backend(str, Enum):
    """Where the graph lives: the embedded local store (default) or a Neo4j server."""

    local = "local"
    neo4j = "neo4j"


class SettingsError(RingwatchError):
    """A store setting in the environment is not valid (the message names the variable; exit 1)."""


@dataclass(frozen=True)
class Neo4jTimeouts:
    """How long the Neo4j store waits, in seconds, before it gives up on the server.

    The driver's own defaults let a command hang for a minute and more on a
    server that accepts connections but never answers (the handshake waits for
    the connection acquisition timeout, 60 s), so every bound is explicit here.

    Parameters
    ----------
    connect
        Opening a connection (TCP connect, Bolt handshake, login) and waiting
        for a free pooled one: ``RINGWATCH_NEO4J_TIMEOUT``. A server that
        answers at all answers in milliseconds; 10 s leaves room for a slow
        network without keeping a scheduler waiting.
    query
        The time limit of each transaction (one batch of a snapshot write, one
        projection read), enforced by the server: ``RINGWATCH_NEO4J_QUERY_TIMEOUT``,
        ``0`` for none. Far above what a batch of 10,000 rows or a projection of
        ten million rows takes (seconds to minutes), so only a stuck statement
        reaches it. Clearing the graph has no limit.
    retry
        How long a managed transaction that failed with an error the driver marks
        retryable (a deadlock, a lost connection, a leader switch) is retried,
        with exponential backoff from 1 s: ``RINGWATCH_NEO4J_RETRY_TIME``. The
        driver's default, stated here so that it is a choice.
    """

    connect: float = 10.0
    query: float | None = 1800.0
    retry: float = 30.0

    def __post_init__(self) -> None:
        if not self.connect > 0:
            raise ValueError(f"the connect timeout must be > 0 s, got {self.connect}")
        if self.query is not None and not self.query > 0:
            raise ValueError(f"the query timeout must be > 0 s or None, got {self.query}")
        if not self.retry >= 0:
            raise ValueError(f"the retry time must be >= 0 s, got {self.retry}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Neo4jTimeouts:
        """The timeouts from ``RINGWATCH_NEO4J_TIMEOUT``, ``_QUERY_TIMEOUT`` and ``_RETRY_TIME``.

        An unset or empty variable keeps the default; one that is not a number
        in range is a :class:`SettingsError` naming it (an invalid setting, exit 1).
        """
        env = os.environ if environ is None else environ
        default = cls()
        connect = _seconds(env, "RINGWATCH_NEO4J_TIMEOUT", allow_zero=False)
        query = _seconds(env, "RINGWATCH_NEO4J_QUERY_TIMEOUT", allow_zero=True)
        retry = _seconds(env, "RINGWATCH_NEO4J_RETRY_TIME", allow_zero=True)
        return cls(connect=default.connect if connect is None else connect,
                   query=default.query if query is None else query or None,
                   retry=default.retry if retry is None else retry)


def _seconds(env: Mapping[str, str], variable: str, *, allow_zero: bool) -> float | None:
    """A number of seconds from an environment variable, ``None`` when it is unset or empty."""
    text = env.get(variable, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 or (allow_zero and value == 0)) or value == float("inf"):
        bound = ">= 0" if allow_zero else "> 0"
        raise SettingsError(f"{variable} must be a number of seconds {bound}, got {text!r}")
    return value


@dataclass(frozen=True)
class Neo4jSettings:
    """Where and as whom to reach Neo4j, and how long to wait for it.

    ``password`` has no default because there is no safe one: an empty
    password is refused when the store is opened, with the variable to set.
    It is left out of the ``repr``, so settings can be logged.
    """

    uri: str = DEFAULT_URI
    user: str = DEFAULT_USER
    password: str = field(default="", repr=False)
    database: str = DEFAULT_DATABASE
    timeouts: Neo4jTimeouts = field(default_factory=Neo4jTimeouts)
    #: Sessions that write a load's batches side by side, in lanes that name no node in
    #: common (:func:`ringwatch.graph.neo4j_ingest.lanes`): ``RINGWATCH_NEO4J_WRITE_SESSIONS``.
    #: A transaction runs on one server thread, so one session leaves a server's other cores
    #: idle; on two cores two made a first load of 640,000 rows 1.7-1.8x faster, and three
    #: or four were slower than two (BENCHMARKS.md, "Neo4j ingest"). A server with more
    #: cores may take more.
    write_sessions: int = DEFAULT_WRITE_SESSIONS

    def __post_init__(self) -> None:
        if self.write_sessions < 1:
            raise ValueError(f"write_sessions must be >= 1, got {self.write_sessions}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Neo4jSettings:
        """``RINGWATCH_NEO4J_URI``, ``_USER``, ``_PASSWORD``, ``_DATABASE``, ``_WRITE_SESSIONS``
        and the waits of :meth:`Neo4jTimeouts.from_env`; an unset or empty variable keeps the
        default, a session count that is not a whole number >= 1 is a :class:`SettingsError`."""
        env = os.environ if environ is None else environ
        return cls(uri=env.get("RINGWATCH_NEO4J_URI") or DEFAULT_URI,
                   user=env.get("RINGWATCH_NEO4J_USER") or DEFAULT_USER,
                   password=env.get("RINGWATCH_NEO4J_PASSWORD") or "",
                   database=env.get("RINGWATCH_NEO4J_DATABASE") or DEFAULT_DATABASE,
                   timeouts=Neo4jTimeouts.from_env(env),
                   write_sessions=_count(env, "RINGWATCH_NEO4J_WRITE_SESSIONS",
                                         DEFAULT_WRITE_SESSIONS))


def _count(env: Mapping[str, str], variable: str, default: int) -> int:
    """A whole number >= 1 from an environment variable, ``default`` when it is unset or empty."""
    text = env.get(variable, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{variable} must be a whole number >= 1, got {text!r}")
    return int(text)


@dataclass(frozen=True)
class StoreSettings:
    """Which store to open and where: the one object the store factory needs.

    Parameters
    ----------
    backend
        The local store (embedded, the default) or Neo4j.
    store_dir
        The local store's directory.
    neo4j
        How to reach Neo4j (used by the ``neo4j`` backend only).
    """

    backend: Backend = Backend.local
    store_dir: Path = DEFAULT_STORE_DIR
    neo4j: Neo4jSettings = field(default_factory=Neo4jSettings)

    @classmethod
    def from_env(cls, *, backend: Backend | str | None = None, store_dir: Path | None = None,
                 environ: Mapping[str, str] | None = None) -> StoreSettings:
        """The settings from the environment, with what a command line or an API setting gave on top.

        ``store_dir`` (``--store``) wins over ``RINGWATCH_STORE``, which wins
        over ``./.ringwatch/store``. The ``RINGWATCH_NEO4J_*`` variables are
        read for the ``neo4j`` backend only, so a broken Neo4j setting never
        stops a command on the local store.
        """
        env = os.environ if environ is None else environ
        chosen = Backend(backend or Backend.local)
        return cls(backend=chosen,
                   store_dir=store_dir or Path(env.get("RINGWATCH_STORE", DEFAULT_STORE_DIR)),
                   neo4j=Neo4jSettings.from_env(env) if chosen is Backend.neo4j else Neo4jSettings())


#: The launcher of the bundled Neo4j server in a source checkout (tools/neo4j_launcher), beside
#: this package's folder; a wheel has none, and RINGWATCH_NEO4J_LAUNCHER names one then.
DEFAULT_LAUNCHER = Path(__file__).resolve().parent.parent / "tools" / "neo4j_launcher" / "neo4jctl"


@dataclass(frozen=True)
class BundledNeo4jSettings:
    """How to reach the bundled Neo4j server's launcher, for the offline importer (``load --bulk``).

    The importer writes the server's store files directly, so it must run on
    the machine of a server that Ringwatch starts and stops itself: the one
    ``tools/neo4j_launcher/neo4jctl`` runs. ``home`` is that server's data
    directory (``RINGWATCH_NEO4J_HOME``; ``None``: the launcher's default) and
    ``environment`` the variables the launcher runs with (Java, heap, page
    cache: ``RINGWATCH_NEO4J_HEAP`` and the others its ``--help`` lists),
    left out of the ``repr`` because it holds the password.
    """

    launcher: Path = DEFAULT_LAUNCHER
    home: Path | None = None
    environment: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BundledNeo4jSettings:
        """``RINGWATCH_NEO4J_LAUNCHER`` (default: the checkout's launcher) and ``RINGWATCH_NEO4J_HOME``."""
        env = os.environ if environ is None else environ
        home = env.get("RINGWATCH_NEO4J_HOME")
        return cls(launcher=Path(env.get("RINGWATCH_NEO4J_LAUNCHER") or DEFAULT_LAUNCHER),
                   home=Path(home) if home else None, environment=dict(env))
