"""Every docstring example of the ``ringwatch`` package runs, and says what it shows.

The package's folders install under one import package (setup.py's ``ROOTS``),
so pytest's ``--doctest-modules`` would import ``detectors/context.py`` as a
second module beside ``ringwatch.detectors.context``. Instead each module is
imported by its real name and its examples run with :mod:`doctest`; one test
per module, so a failure names it. Examples that write files make their
directories with :mod:`tempfile`, which points into the test's own directory.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import tempfile
from pathlib import Path

import pytest

from .packaging.test_installed_wheel import package_roots

#: Modules whose examples may not run here, and why: each needs a running Neo4j server.
SKIPPED = {
    "ringwatch.graph.neo4j_store": "connects to a Neo4j server",
}

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def package_modules() -> list[str]:
    """Every module of the installed package, found under each package root setup.py maps.

    The editable install gives ``ringwatch`` only ``core/`` as its path, so the
    subpackages are walked from their own roots, not from ``ringwatch``'s.
    """
    found = set()
    for root in package_roots():
        found.add(root)
        package = importlib.import_module(root)
        found |= {m.name for m in pkgutil.walk_packages(package.__path__, f"{root}.")}
    return sorted(found)


def examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    return [test for test in doctest.DocTestFinder().find(module) if test.examples]


MODULES = [name for name in package_modules() if examples(name)]


def skipped_examples(tests: list[doctest.DocTest]) -> int:
    return sum(example.options.get(doctest.SKIP, False) for test in tests
               for example in test.examples)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tests = examples(name)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    for test in tests:
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
    if name in SKIPPED:
        assert skipped_examples(tests), f"{name} is listed as skipped but runs: drop it from SKIPPED"
    else:
        assert skipped_examples(tests) == 0, f"{name} skips an example: make it run"
        assert result.attempted > 0


def test_the_modules_are_found_and_most_examples_run() -> None:
    names = package_modules()
    assert {"ringwatch.detectors.context", "ringwatch.graph.store", "ringwatch.api.report",
            "ringwatch.loaders.snapshot", "ringwatch.durable"} <= set(names)
    assert set(SKIPPED) <= set(MODULES)
    run = [name for name in MODULES if name not in SKIPPED]
    assert len(run) >= 10 * len(SKIPPED)
