"""What a user installs is what works: the built wheel, installed non-editable, runs the README.

Every other test imports the checkout (an editable install), which hides a
package or a data file missing from the wheel. These tests build the wheel the
way a user's ``pip install .`` does and run the README's own commands, as
written, in a fresh virtual environment outside the checkout.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"



def package_roots() -> dict[str, str]:
    """Import package -> repository folder, as setup.py's ``ROOTS`` maps them (read, not run)."""
    tree = ast.parse((REPO / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "ROOTS" for t in targets):
                return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no ROOTS")


def repository_files() -> list[str]:
    """The files a fresh clone holds (tracked, or new and not ignored)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [line for line in listed.splitlines() if (REPO / line).is_file()]


def expected_in_wheel(files: list[str]) -> set[str]:
    """Where each module, Cypher file and page asset of the repository lands in the wheel."""
    expected = set()
    folders = {folder: name for name, folder in package_roots().items()}
    for path in files:
        folder, _, rest = path.partition("/")
        if folder not in folders or "__pycache__" in path:
            continue
        if path.endswith((".py", ".cypher")) or rest.startswith("static/"):
            expected.add(folders[folder].replace(".", "/") + "/" + rest)
    return expected


def readme_block(heading: str) -> str:
    """The first ```bash block under ``heading`` in README.md, exactly as a user copies it."""
    text = README.read_text()
    section = text[text.index(heading):]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, f"no bash block under {heading!r} in README.md"
    return match.group(1)


def user_env(home: Path) -> dict[str, str]:
    """A shell as a new user has it: no virtualenv of ours on PATH, no Ringwatch settings."""
    ours = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != ours)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RINGWATCH_", "VIRTUAL_ENV", "PYTHON"))}
    return {**env, "PATH": path, "HOME": str(home)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository as a user's fresh clone holds it, outside the checkout."""
    target = tmp_path_factory.mktemp("user") / "ringwatch"
    for path in repository_files():
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, target / path)
    return target


def test_wheel_ships_every_module_cypher_file_and_page_asset(clone: Path, tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", ".", "-w",
                    str(tmp_path)], cwd=clone, check=True, capture_output=True)
    wheel = next(tmp_path.glob("ringwatch-*.whl"))
    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = expected_in_wheel(repository_files())
    assert "ringwatch/api/routers/rings.py" in expected  # the check covers subpackages
    assert "ringwatch/api/static/ui/app.js" in expected
    assert expected - shipped == set(), "missing from the wheel"
    # The Neo4j launcher (tools/) is for tests and local use, never part of the library.
    assert [name for name in shipped if "neo4j_launcher" in name or name.endswith(".java")] == []
    if os.environ.get("RINGWATCH_REQUIRE_NATIVE"):  # where a C compiler is at hand (CI)
        assert [name for name in shipped
                if name.startswith("ringwatch/_native") and name.endswith(".so")]


@pytest.mark.slow
def test_readme_commands_work_on_the_installed_wheel(clone: Path, tmp_path: Path) -> None:
    env = user_env(tmp_path)
    install = readme_block("## Two commands on a fresh machine")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", install], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rings = (clone / "demo-out" / "results" / "rings.jsonl").read_text().splitlines()
    assert len(rings) > 10
    assert "keys create" in done.stdout and "--store demo-out/store" in done.stdout

    # Installed, not linked: from another directory the package comes from site-packages.
    where = subprocess.run([str(clone / ".venv/bin/python"), "-c",
                            "import ringwatch.api.routers, ringwatch; print(ringwatch.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert "site-packages" in where.stdout, where.stdout
    compiled = subprocess.run([str(clone / ".venv/bin/python"), "-c",
                               "from ringwatch import native; print(native.available())"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    if os.environ.get("RINGWATCH_REQUIRE_NATIVE"):  # the C kernels came with the install
        assert compiled.stdout.strip() == "True", compiled.stdout
    helped = subprocess.run([str(clone / ".venv/bin/ringwatch"), "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=True)
    assert "docs/contract.md" in helped.stdout

    port = free_port()
    review = readme_block("## Review what the demo found").replace("8080", str(port))
    shell = subprocess.Popen(["bash", "-euo", "pipefail", "-c", review], cwd=clone, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        out, err = shell.communicate(timeout=180)
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGTERM)  # a server the block failed to stop
    assert shell.returncode == 0, out[-2000:] + err[-3000:]
    lines = [line for line in out.splitlines() if line.strip()]
    listed = json.loads(lines[0])
    assert len(listed["items"]) == 3
    assert "review page: HTTP 200" in out
    reviewed = json.loads(lines[-1])
    assert reviewed["ring_id"] == listed["items"][0]["ring_id"]
    assert reviewed["version"] == 1 and reviewed["review_status"] == "confirmed"
    assert f"http://127.0.0.1:{port}/ui" in err  # serve says where the page is
