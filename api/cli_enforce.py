"""``ringwatch enforce``: the nightly enforcement job, from the shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .cli import BackendOption, StoreOption, _exit_codes
from .wiring import Backend, open_store


def enforce(
    out: Annotated[Path, typer.Option(help="Directory for actions-BATCH.jsonl.")],
    backend: BackendOption = Backend.local,
    store: StoreOption = None,
    batch_id: Annotated[str | None, typer.Option(
        help="Name of this batch [default: enforce-<UTC time>]; re-running a batch exports "
        "its actions again and enforces nothing twice.")] = None,
    actor: Annotated[str, typer.Option(help="Who acts, for the audit log.")] = "enforcement-job",
) -> None:
    """The nightly enforcement job: confirmed rings become actions, exactly once per ring.

    Each confirmed ring not enforced yet is marked with the batch and its
    actions in one compare-and-set write, and gets an audit entry; the actions
    (suspend accounts, hold payouts, claw back commission) are written one per
    line for the systems that carry them out.
    """
    from ringwatch.detectors.enforcement import enforce as enforce_rings

    with _exit_codes():
        graph = open_store(backend, store_dir=store)
        with graph:
            result = enforce_rings(graph, batch_id=batch_id, actor=actor)
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"actions-{result.batch_id}.jsonl"
        with target.open("w") as handle:
            for action in result.actions:
                handle.write(json.dumps(action) + "\n")
        typer.echo(f"batch {result.batch_id}: {len(result.enforced)} rings enforced, "
                   f"{len(result.actions)} actions in {target}; {len(result.already)} enforced "
                   f"earlier, {len(result.contended)} changed during the job (next batch)")
