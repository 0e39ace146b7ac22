"""The snapshot's tables (docs/contract.md section 1) and the validated snapshot, for loaders and stores.

Every rule a loader enforces is declared here once (column types, domains,
keys, references between tables), so that the contract and the checks cannot
drift apart and a new optional column is one line. It lives in the root
package because both sides need it: ``loaders/`` validates against it and
``graph/`` writes what it describes, and neither may depend on the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import pandas as pd
import pyarrow as pa

from ringwatch import RingwatchError
from ringwatch.domain import LINKED_ACCOUNT_TYPES, identifier_types


class SnapshotError(RingwatchError):
    """The snapshot as a whole cannot be used (a table or a column is missing, a file is unreadable).

    The command line turns it into exit code 2 and prints ``str(error)`` as its one line.
    """


class ColumnType(str, Enum):
    """How a column's text is parsed."""

    ID = "id"  # opaque identifier: never parsed, never assumed numeric
    TEXT = "text"
    TIMESTAMP = "timestamp"  # ISO-8601; a bare date is midnight UTC, no offset means UTC
    NUMBER = "number"
    INTEGER = "integer"


@dataclass(frozen=True)
class Column:
    """One column of a table: its type, whether it must be present and filled, its domain."""

    name: str
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    default: float | str | None = None
    #: A domain read when a snapshot is checked rather than fixed here: the identifier types
    #: of the domain's type table, which a new row (or a test) extends.
    choices_from: Callable[[], tuple[str, ...]] | None = None

    def domain(self) -> tuple[str, ...]:
        """The values the column may take (empty: any)."""
        return self.choices_from() if self.choices_from is not None else self.choices


@dataclass(frozen=True)
class Reference:
    """``column`` must name a row of ``table`` (by ``target``), when ``when`` holds.

    ``when`` is ``(column, value)``: the reference only applies to rows whose
    ``column`` equals ``value`` (identity links name creators or sellers
    depending on their ``account_type``). Empty values are not references.
    """

    column: str
    table: str
    target: str
    when: tuple[str, str] | None = None


@dataclass(frozen=True)
class TableSpec:
    """One snapshot table: its columns, its key (first row wins) and its references."""

    name: str
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = field(default=())

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def identifier_type_names() -> tuple[str, ...]:
    """The identifier types a snapshot may name: the domain's type table, as it is now."""
    return tuple(t.name for t in identifier_types())


ORDER_STATUSES = ("completed", "refunded", "cancelled")
COMMISSION_STATUSES = ("pending", "paid", "reversed")
SEVERITIES = ("low", "medium", "high")

_ID = ColumnType.ID
_TS = ColumnType.TIMESTAMP
_NUM = ColumnType.NUMBER

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "creators",
        required=True,
        columns=(
            Column("creator_id", _ID, required=True),
            Column("registered_at", _TS, required=True),
            Column("region"),
            Column("agency_id", _ID),
        ),
        key=("creator_id",),
    ),
    TableSpec(
        "shops",
        required=True,
        columns=(
            Column("shop_id", _ID, required=True),
            Column("seller_id", _ID, required=True),
            Column("registered_at", _TS, required=True),
            Column("region"),
            Column("category"),
        ),
        key=("shop_id",),
    ),
    TableSpec(
        "identity_links",
        required=True,
        columns=(
            Column("account_type", required=True, choices=LINKED_ACCOUNT_TYPES),
            Column("account_id", _ID, required=True),
            Column("identifier_type", required=True, choices_from=identifier_type_names),
            Column("identifier", _ID, required=True),
            Column("first_seen", _TS, required=True),
            Column("last_seen", _TS),
            Column("events", ColumnType.INTEGER, minimum=1, default=1),
        ),
        key=("account_type", "account_id", "identifier_type", "identifier"),
        references=(
            Reference("account_id", "creators", "creator_id", when=("account_type", "creator")),
            Reference("account_id", "shops", "seller_id", when=("account_type", "seller")),
        ),
    ),
    TableSpec(
        "orders",
        required=True,
        columns=(
            Column("order_id", _ID, required=True),
            Column("buyer_id", _ID, required=True),
            Column("shop_id", _ID, required=True),
            Column("creator_id", _ID),
            Column("amount", _NUM, required=True, minimum=0),
            Column("currency"),
            Column("placed_at", _TS, required=True),
            Column("status", required=True, choices=ORDER_STATUSES),
            Column("refunded_at", _TS),
        ),
        key=("order_id",),
        references=(
            Reference("shop_id", "shops", "shop_id"),
            Reference("creator_id", "creators", "creator_id"),
        ),
    ),
    TableSpec(
        "commissions",
        required=True,
        columns=(
            Column("commission_id", _ID, required=True),
            Column("order_id", _ID, required=True),
            Column("creator_id", _ID, required=True),
            Column("shop_id", _ID, required=True),
            Column("amount", _NUM, required=True, minimum=0),
            Column("rate", _NUM, required=True, minimum=0, maximum=1),
            Column("created_at", _TS, required=True),
            Column("status", required=True, choices=COMMISSION_STATUSES),
        ),
        key=("commission_id",),
        references=(
            Reference("order_id", "orders", "order_id"),
            Reference("creator_id", "creators", "creator_id"),
            Reference("shop_id", "shops", "shop_id"),
        ),
    ),
    TableSpec(
        "affiliations",
        required=False,
        columns=(
            Column("creator_id", _ID, required=True),
            Column("shop_id", _ID, required=True),
            Column("commission_rate", _NUM, required=True, minimum=0, maximum=1),
            Column("started_at", _TS, required=True),
        ),
        key=("creator_id", "shop_id"),
        references=(
            Reference("creator_id", "creators", "creator_id"),
            Reference("shop_id", "shops", "shop_id"),
        ),
    ),
    TableSpec(
        "violations",
        required=False,
        columns=(
            Column("creator_id", _ID, required=True),
            Column("policy", required=True),
            Column("severity", required=True, choices=SEVERITIES),
            Column("occurred_at", _TS, required=True),
        ),
        key=("creator_id", "policy", "occurred_at"),
        references=(Reference("creator_id", "creators", "creator_id"),),
    ),
    TableSpec(
        "allowlist",
        required=False,
        columns=(
            Column("identifier_type", required=True, choices_from=identifier_type_names),
            Column("identifier", _ID, required=True),
            Column("owner", required=True),
            Column("reason", required=True),
            Column("expires_at", _TS, required=True),
        ),
        key=("identifier_type", "identifier"),
    ),
)

TABLES_BY_NAME: dict[str, TableSpec] = {t.name: t for t in TABLES}


#: How every timestamp column is typed once validated: microseconds, UTC.
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")


def absent_column(column: Column, n: int) -> pa.Array:
    """The values of a contract column a file does not give: nulls, or the column's default,
    so every table has its contract columns whichever optional ones the file left out."""
    if column.type is ColumnType.TIMESTAMP:
        return pa.nulls(n, TIMESTAMP_TYPE)
    if column.type is ColumnType.INTEGER:
        return pa.array(np.full(n, column.default if column.default is not None else 0), pa.int64())
    if column.type is ColumnType.NUMBER:
        return pa.nulls(n, pa.float64())
    return pa.nulls(n, pa.string())


def empty_table(spec: TableSpec) -> pd.DataFrame:
    """A table with no rows and its contract columns, typed as a validated one would be."""
    return pa.table({c.name: absent_column(c, 0) for c in spec.columns}).to_pandas()


@dataclass(frozen=True)
class Snapshot:
    """The rows of a snapshot that passed validation, typed, one DataFrame per contract table.

    Optional tables absent from the directory are empty frames with their
    contract columns, so consumers never test for presence.
    """

    tables: dict[str, pd.DataFrame]
    #: Whether each table holds every key of its (``TableSpec.key``) at most once, as
    #: validation leaves it (the loader quarantines every repeat of a key: the first row
    #: wins), so that a store may skip its own check, a tenth of writing the local store. A
    #: snapshot built by hand says ``False`` and the store keeps the last row given per key.
    unique_keys: bool = False

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def rows(self) -> int:
        return sum(len(frame) for frame in self.tables.values())
