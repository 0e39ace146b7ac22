"""Each folder imports only what docs/architecture.md allows it to."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("core", "loaders", "cypher", "graph", "detectors", "generator", "api")

#: Folder -> the subpackages of ours it may import (the root package is always allowed).
ALLOWED: dict[str, set[str]] = {
    # The application layer (loading, detection) calls loaders, stores and detectors; the
    # ``python -m ringwatch`` entry point imports the command line.
    "core": {"api.cli", "loaders", "graph.store", "detectors.pipeline"},
    "loaders": set(),
    "cypher": set(),
    "graph": {"cypher", "loaders"},
    "detectors": {"graph.store", "graph.projections", "graph.model"},
    "generator": {"loaders"},
    "api": set(FOLDERS) - {"core"} | {"loading", "detection"},
}


def imported_subpackages(path: Path, folder: str) -> set[str]:
    """The ``ringwatch`` subpackages (and modules) a file imports, as dotted names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("ringwatch."):
                found.add(name.removeprefix("ringwatch."))
    return {name for name in found if name.split(".")[0] != folder}


#: Modules of the root package every folder may use (they import nothing of ours).
SHARED = {"durable", "domain"}


def allowed(folder: str, name: str) -> bool:
    return name in SHARED or any(name == rule or name.startswith(rule + ".")
                                 for rule in ALLOWED[folder])


def test_every_folder_imports_only_what_it_may() -> None:
    forbidden = []
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            for name in sorted(imported_subpackages(path, folder)):
                if not allowed(folder, name):
                    forbidden.append(f"{path.relative_to(REPO)} imports ringwatch.{name}")
    assert forbidden == []


def test_the_rule_catches_a_detector_importing_a_concrete_store(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text("from ringwatch.graph.local_store import LocalStore\n")
    names = imported_subpackages(module, "detectors")
    assert names == {"graph.local_store"}
    assert not allowed("detectors", "graph.local_store")
    assert allowed("detectors", "graph.store")
