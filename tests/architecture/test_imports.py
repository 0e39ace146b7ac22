"""Each folder imports only what docs/architecture.md allows it to, and no module imports itself back."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("core", "loaders", "cypher", "graph", "detectors", "generator", "spark", "api")

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
    # The Spark engine fills in the pipeline's engine hooks: it runs the detectors' own code
    # (never a copy), builds the projections graph/ declares and validates with the loaders'
    # rules (never a copy); it never touches a store.
    "spark": {"detectors", "graph.projections", "loaders"},
    # The adapters call the application layer, and their wiring the one store factory; the
    # command line's entry point sets the garbage collector for its process (``collector``).
    "api": set(FOLDERS) - {"core"} | {"loading", "detection", "reviewing", "ring_history",
                                      "reporting", "enforcement", "review_feedback", "stores",
                                      "cases", "collector"},
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
#: and each other): ``wording`` says counts, member types and money for evidence and reports alike;
#: ``forked`` spreads a command's independent pieces of work over worker processes; ``native``
#: loads the compiled kernels (hashing, sets and numbering of text ids).
SHARED = {"durable", "domain", "forked", "native", "store_settings", "tables", "wording"}


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


# --- no import cycles between modules -------------------------------------------------------

def module_names(root: Path) -> dict[str, Path]:
    """Every module of the package under ``root`` (the customer's layout), by its dotted name."""
    found = {}
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            parts = ["ringwatch"] + ([] if folder == "core" else [folder])
            parts += [*path.relative_to(root / folder).parts[:-1], path.stem]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def module_imports(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports, relative imports resolved, lazy ones included.

    ``from package import name`` is an import of ``package.name`` when that is
    a module, else of ``package`` itself.
    """
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported = set()
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names if alias.name in modules}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    if target in modules:
                        imported.add(target)
                    elif base in modules:
                        imported.add(base)
        graph[name] = imported - {name}
    return graph


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph.get(module, ())):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(cycles)


def test_no_module_imports_itself_back_through_others() -> None:
    modules = module_names(REPO)
    graph = module_imports(modules)
    assert "ringwatch.api.cli_options" in graph["ringwatch.api.cli_keys"]  # the graph is read
    assert import_cycles(graph) == []


def test_the_cycle_check_catches_relative_imports_and_skips_type_checking(tmp_path: Path) -> None:
    api = tmp_path / "api"
    api.mkdir()
    (api / "__init__.py").write_text("")
    (api / "cli.py").write_text("from . import cli_keys\n")
    (api / "cli_keys.py").write_text("from .cli import _exit_codes\n")
    (api / "cli_enforce.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .cli import console\n"
        "def f():\n    from ringwatch.api.cli_keys import x\n")
    graph = module_imports(module_names(tmp_path))
    assert graph["ringwatch.api.cli_enforce"] == {"ringwatch.api.cli_keys"}
    assert import_cycles(graph) == [["ringwatch.api.cli", "ringwatch.api.cli_keys"]]
