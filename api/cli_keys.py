"""``ringwatch keys``: API keys for the review API, created, listed and revoked from the shell."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ringwatch.domain import AuditEntry, utc_stamp
from ringwatch.store_settings import Backend

from .cli_options import EXIT_BAD_INPUT, BackendOption, StoreOption, console, exit_codes
from .roles import Role
from .wiring import store_for

keys_app = typer.Typer(help="API keys for the review API: create one (shown once), list them, "
                       "revoke one.", no_args_is_help=True)


@keys_app.command("create")
def create_key(
    role: Annotated[Role, typer.Option(
        help="viewer (read), investigator (+ reviews) or admin (+ runs, keys).")],
    label: Annotated[str, typer.Option(help="Who or what the key is for (shown in the audit log).")]
    = "",
    backend: BackendOption = Backend.local,
    store_dir: StoreOption = None,
) -> None:
    """Create an API key and print it once, on stdout; only its SHA-256 hash is stored."""
    from .auth import new_api_key

    with exit_codes():
        secret, record = new_api_key(role, label)
        with store_for(backend, store_dir=store_dir, create=False) as store:
            store.save_api_key(record)
        console.print(f"created key {record.key_id} (role {record.role}"
                      f"{', label ' + label if label else ''}); it is shown only this once:",
                      markup=False, highlight=False, soft_wrap=True)
        typer.echo(secret)


@keys_app.command("list")
def list_keys(backend: BackendOption = Backend.local, store_dir: StoreOption = None) -> None:
    """List the API keys: id, role, label, creation, last use and revocation (never a key or hash)."""
    from .auth import PUBLIC_KEY_FIELDS, public_key_record

    with exit_codes():
        with store_for(backend, store_dir=store_dir, create=False) as store:
            records = [public_key_record(r) for r in store.api_keys()]
        revoked = sum(1 for r in records if r.get("revoked_at"))
        table = Table(title=f"{len(records)} API key(s), {revoked} revoked")
        for column in PUBLIC_KEY_FIELDS:
            table.add_column(column, no_wrap=column != "label")
        for record in records:
            table.add_row(*(str(record.get(c) or "") for c in PUBLIC_KEY_FIELDS))
        Console(width=max(Console().width, 150)).print(table)


@keys_app.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `ringwatch keys list` shows it.")],
    backend: BackendOption = Backend.local,
    store_dir: StoreOption = None,
) -> None:
    """Revoke an API key: a running server refuses it from its next request on.

    The key's record stays (with its revocation time) so the audit log still
    names it; the revocation is audited too. Exit 2 when there is no such key.
    """
    from .auth import describe_key

    with exit_codes():
        at = utc_stamp()
        with store_for(backend, store_dir=store_dir, create=False) as store:
            revocation = store.revoke_api_key(key_id, at=at)
            if revocation is not None and revocation.revoked_now:
                note = f"`ringwatch keys revoke` ({describe_key(revocation.record)})"
                store.append_audit(AuditEntry(at=at, actor=f"cli:{_os_user()}", action="key.revoke", details={
                    "key_id": None, "role": None, "ring_id": None, "revoked_key_id": key_id,
                    "note": note, "request_id": None}))
    if revocation is None:
        console.print(f"ringwatch: error: no such key {key_id!r} (see `ringwatch keys list`)",
                      markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    record = revocation.record
    typer.echo(f"key {key_id} ({describe_key(record)}) was{'' if revocation.revoked_now else ' already'}"
               f" revoked at {record.revoked_at}; requests with it are refused")


def _os_user() -> str:
    """Who ran the command, as the operating system names them (for the audit log)."""
    try:
        return getpass.getuser()
    except Exception:  # no login name and no passwd entry (some containers)
        return "unknown"
