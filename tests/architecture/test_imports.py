"""Each folder imports only what docs/architecture.md allows it to."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("core", "loaders", "cypher", "graph", "detectors", "generator", "api")

#: Folder -> the subpackages of ours it may import (the root package is always allowed).
ALLOWED: dict[str, set[str]] = {
    # The application layer (loading, detection, reviewing, rings as of a run, the report's
    # layout, enforcement, reviewer feedback) calls loaders, the store capabilities, detectors'
    # pipeline and ring vocabulary; the store factory (``ringwatch.stores``) is the one place
    # that names a concrete store; the ``python -m ringwatch`` entry point imports the command line.
    "core": {"api.cli", "loaders", "graph.capabilities", "graph.store", "graph.errors",
             "graph.local_store", "graph.neo4j_store", "graph.projections", "graph.model",
             "graph.subgraph", "detectors.pipeline", "detectors.ring_ids", "detectors.ring_kinds"},
    "loaders": set(),
    "cypher": set(),
    "graph": {"cypher"},
    "detectors": {"graph.capabilities", "graph.store", "graph.projections", "graph.model"},
    "generator": {"loaders"},
    # The adapters call the application layer, and their wiring the one store factory.
    "api": set(FOLDERS) - {"core"} | {"loading", "detection", "reviewing", "ring_history",
                                      "reporting", "enforcement", "review_feedback", "stores"},
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
    own = {name for name in found if name.split(".")[0] == folder}
    if folder == "core":  # the root package's own modules (ringwatch.X, X not a subpackage)
        own = {name for name in found if name.split(".")[0] not in FOLDERS}
    return found - own


#: Modules of the root package every folder may use (they import nothing of ours but the root
#: and each other): ``wording`` says counts, member types and money for evidence and reports alike.
SHARED = {"durable", "domain", "store_settings", "tables", "wording"}


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


def test_the_rule_catches_a_detector_importing_the_application_layer(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text("from ringwatch.enforcement.job import enforce\nimport ringwatch.reviewing\n")
    names = imported_subpackages(module, "detectors")
    assert names == {"enforcement.job", "reviewing"}
    assert not any(allowed("detectors", name) for name in names)
    assert imported_subpackages(module, "core") == set()  # the root package's own modules


def test_the_stores_and_the_loaders_share_the_tables_without_importing_each_other() -> None:
    assert not allowed("graph", "loaders")
    assert allowed("graph", "tables") and allowed("loaders", "tables")
    assert not allowed("loaders", "graph.store")


def test_the_stores_never_read_the_environment() -> None:
    """Store settings come in one object (``ringwatch.store_settings``); graph/ never reads them."""
    readers = []
    for path in sorted((REPO / "graph").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                readers.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert readers == []
