"""``ringwatch keys``: API keys for the review API, created, listed and revoked from the shell."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .cli import BackendOption, StoreOption, _exit_codes, console
from .roles import Role
from .wiring import Backend, open_store

keys_app = typer.Typer(help="API keys for the review API: create one (shown once), list them.",
                       no_args_is_help=True)


@keys_app.command("create")
def create_key(
    role: Annotated[Role, typer.Option(
        help="viewer (read), investigator (+ reviews) or admin (+ runs, keys).")],
    label: Annotated[str, typer.Option(help="Who or what the key is for (shown in the audit log).")]
    = "",
    backend: BackendOption = Backend.local,
    store: StoreOption = None,
) -> None:
    """Create an API key and print it once, on stdout; only its SHA-256 hash is stored."""
    from .auth import new_api_key

    with _exit_codes():
        secret, record = new_api_key(role, label)
        with open_store(backend, store_dir=store) as graph:
            graph.save_api_key(record)
        console.print(f"created key {record['key_id']} (role {record['role']}"
                      f"{', label ' + label if label else ''}); it is shown only this once:",
                      markup=False, highlight=False, soft_wrap=True)
        typer.echo(secret)


@keys_app.command("list")
def list_keys(backend: BackendOption = Backend.local, store: StoreOption = None) -> None:
    """List the API keys: id, role, label and creation time (never the key or its hash)."""
    from .auth import public_key_record

    with _exit_codes():
        with open_store(backend, store_dir=store) as graph:
            records = [public_key_record(r) for r in graph.api_keys()]
        table = Table(title=f"{len(records)} API key(s)")
        for column in ("key_id", "role", "label", "created_at"):
            table.add_column(column)
        for record in records:
            table.add_row(*(str(record.get(c) or "") for c in ("key_id", "role", "label",
                                                                "created_at")))
        Console(width=max(Console().width, 100)).print(table)
