"""Each command-line module can be imported first: none imports another command module's privates."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[2] / "api"
CLI_MODULES = sorted(path.stem for path in API.glob("cli*.py"))


def test_the_command_line_modules_are_found() -> None:
    assert {"cli", "cli_keys", "cli_enforce", "cli_options"} <= set(CLI_MODULES)


@pytest.mark.parametrize("module", CLI_MODULES)
def test_each_command_line_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import ringwatch.api.{module}"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("module", CLI_MODULES)
def test_no_command_module_imports_a_private_name_of_another(module: str) -> None:
    imported = []
    for node in ast.walk(ast.parse((API / f"{module}.py").read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] in CLI_MODULES:
            imported += [f"{node.module}.{alias.name}" for alias in node.names
                         if alias.name.startswith("_")]
    assert imported == []
