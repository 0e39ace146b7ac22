"""What a new user meets at the command line: no silent zeros, one-line failures, honest summaries.

Each test is a finding from following the README on a fresh machine; the real
``ringwatch`` process is used wherever the finding was about a process (ports,
exit codes, what reaches the terminal).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringwatch.api.cli import app
from ringwatch.graph.local_store import LocalStore

runner = CliRunner()


def _cli(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), catch_exceptions=False, env=env)


def _process(*args: str, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ringwatch", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def _one_error_line(stderr: str) -> str:
    """The failure as the user sees it: exactly one line, no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("ringwatch: error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def _header_only_orders(snapshot: Path) -> None:
    header = (snapshot / "orders.csv").read_text().splitlines()[0]
    (snapshot / "orders.csv").write_text(header + "\n")


@pytest.fixture
def snapshot_copy(generated_snapshot: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(generated_snapshot, tmp_path / "snapshot"))


def test_header_only_orders_warn_and_name_the_detectors_left_without_input(
        snapshot_copy: Path, tmp_path: Path) -> None:
    _header_only_orders(snapshot_copy)
    out = tmp_path / "out"
    result = _cli("run", "--data", str(snapshot_copy), "--out", str(out),
                  "--store", str(tmp_path / "store"))
    assert result.exit_code == 0, result.output
    assert "warning: orders: orders.csv has no rows" in result.stderr
    assert "warning: commissions: every one of its" in result.stderr
    assert "collusion rings had nothing to work on" in result.stderr
    summary = json.loads((out / "load_summary.json").read_text())
    assert any(w.startswith("orders:") for w in summary["warnings"])
    detectors = json.loads((out / "run.json").read_text())["detectors"]
    assert detectors["collusion_rings"]["nothing_to_work_on"] is True
    assert detectors["commission_abuse"]["nothing_to_work_on"] is True
    assert detectors["identity_rings"]["nothing_to_work_on"] is False
    assert detectors["identity_rings"]["rows"] > 0


def test_a_clean_load_has_no_warnings(generated_snapshot: Path, tmp_path: Path) -> None:
    result = _cli("load", "--data", str(generated_snapshot), "--store", str(tmp_path / "s"),
                  "--quarantine", str(tmp_path / "q"))
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.stderr


def test_detect_on_a_missing_store_exits_2_and_creates_nothing(tmp_path: Path) -> None:
    store_dir = tmp_path / "typo"
    done = _process("detect", "--out", str(tmp_path / "out"), "--store", str(store_dir))
    assert done.returncode == 2
    assert "no local store at" in _one_error_line(done.stderr)
    assert not store_dir.exists()


def test_detect_on_a_store_with_nothing_loaded_exits_2(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    LocalStore(store_dir)  # exists (a key was made, say) but no snapshot was loaded
    done = _process("detect", "--out", str(tmp_path / "out"), "--store", str(store_dir))
    assert done.returncode == 2
    assert "holds no snapshot" in _one_error_line(done.stderr)
    assert not (tmp_path / "out" / "rings.jsonl").exists()


def test_run_says_how_many_rings_the_table_shows_and_where_the_files_went(
        generated_snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _cli("run", "--data", str(generated_snapshot), "--out", str(out),
                  "--store", str(tmp_path / "store"))
    assert result.exit_code == 0, result.output
    total = len((out / "rings.jsonl").read_text().splitlines())
    assert total > 1
    text = " ".join(result.stdout.split())
    assert f"top {min(10, total)} of {total} rings" in text
    assert f"{total} new, 0 persisting, 0 dissolved" in text
    for name in ("rings.jsonl", "report.html", "run.json"):
        assert str(out / name) in result.stdout


def test_quiet_prints_only_the_paths_and_warnings(generated_snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _process("--quiet", "run", "--data", str(generated_snapshot), "--out", str(out),
                    "--store", str(tmp_path / "store"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"rings: {out / 'rings.jsonl'}",
                                        f"report: {out / 'report.html'}",
                                        f"run record: {out / 'run.json'}"]
    assert "INFO" not in done.stderr and "━" not in done.stderr


def _in_a_terminal(*args: str, timeout: float = 120) -> str:
    """Run ``ringwatch`` under a pseudo-terminal (live progress bars on) and return what it drew."""
    import pty
    import select

    primary, secondary = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "ringwatch", *args], stdin=secondary,
                             stdout=secondary, stderr=secondary,
                             env={**os.environ, "COLUMNS": "120", "TERM": "xterm"})
    os.close(secondary)
    drawn = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
        elif child.poll() is not None:
            break
    child.wait(timeout=30)
    os.close(primary)
    assert child.returncode == 0, drawn.decode(errors="replace")[-2000:]
    return drawn.decode(errors="replace")


def test_log_lines_are_not_glued_onto_progress_bars(generated_snapshot: Path,
                                                    tmp_path: Path) -> None:
    import re

    drawn = _in_a_terminal("run", "--data", str(generated_snapshot), "--out",
                           str(tmp_path / "out"), "--store", str(tmp_path / "store"))
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)
    lines = re.split(r"[\r\n]+", plain)
    assert any("━" in line for line in lines), "the terminal showed no progress bar"
    assert any("INFO" in line and "loaded" in line for line in lines), "no log line was shown"
    for line in lines:
        assert not ("━" in line and "INFO" in line), line  # a bar and a log line on one line


def test_neo4j_settings_are_checked_before_the_snapshot_is_read(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-snapshot"
    no_password = _process("load", "--data", str(missing), "--backend", "neo4j",
                           env={"RINGWATCH_NEO4J_PASSWORD": ""})
    assert no_password.returncode == 3
    assert "RINGWATCH_NEO4J_PASSWORD" in _one_error_line(no_password.stderr)
    unreachable = _process("run", "--data", str(missing), "--out", str(tmp_path / "out"),
                           "--backend", "neo4j",
                           env={"RINGWATCH_NEO4J_PASSWORD": "x" * 12,
                                "RINGWATCH_NEO4J_URI": "bolt://127.0.0.1:1"})
    assert unreachable.returncode == 3
    assert "bolt://127.0.0.1:1" in _one_error_line(unreachable.stderr)


def test_an_unexpected_error_is_one_line_and_verbose_adds_the_traceback(
        generated_snapshot: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    assert _cli("load", "--data", str(generated_snapshot), "--store", str(store_dir),
                "--quarantine", str(tmp_path / "q")).exit_code == 0
    current = json.loads((store_dir / "tables" / "CURRENT").read_text())["generation"]
    (store_dir / "tables" / current / "creators.parquet").write_bytes(b"not parquet at all")
    done = _process("detect", "--out", str(tmp_path / "out"), "--store", str(store_dir))
    assert done.returncode == 1
    assert "unexpected" in _one_error_line(done.stderr) and "--verbose" in done.stderr
    verbose = _process("--verbose", "detect", "--out", str(tmp_path / "out"), "--store",
                       str(store_dir))
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_on_a_taken_port_exits_4_with_one_line(tmp_path: Path) -> None:
    LocalStore(tmp_path / "store")  # a store that exists (serve never makes one)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = _process("serve", "--port", str(port), "--store", str(tmp_path / "store"),
                        timeout=60)
    assert done.returncode == 4
    line = _one_error_line(done.stderr)
    assert f"127.0.0.1:{port}" in line and "--port" in line
    assert "uvicorn" not in done.stderr


def test_serve_says_which_store_it_serves_and_warns_when_it_is_empty(tmp_path: Path) -> None:
    port = _free_port()
    store_dir = tmp_path / "store"
    LocalStore(store_dir)  # made, never loaded: serve warns (it never makes a store itself)
    server = subprocess.Popen([sys.executable, "-m", "ringwatch", "serve", "--port", str(port),
                               "--store", str(store_dir)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
                time.sleep(0.3)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    text = " ".join(stderr.split())
    assert f"serving the local store {store_dir}" in text
    assert "no detection run yet" in text and "WARNING" in stderr
    assert "no API key" in text
    assert f"http://127.0.0.1:{port}/ui" in text


@pytest.mark.parametrize("command", [["serve"], ["keys", "create", "--role", "viewer"],
                                     ["keys", "list"], ["eval", "--reviews"]])
def test_a_mistyped_store_is_refused_and_never_made(command: list[str], tmp_path: Path) -> None:
    """Only load and run make a store; the others would leave an empty one a later command
    takes for the real store."""
    typo = tmp_path / "stroe"
    port = ["--port", str(_free_port())] if command == ["serve"] else []
    done = _process(*command, *port, "--store", str(typo), timeout=60)
    assert done.returncode == 2
    assert f"there is no local store at {typo}" in _one_error_line(done.stderr)
    assert not typo.exists()


def test_a_failed_run_leaves_no_directory_behind_and_no_blank_line(tmp_path: Path) -> None:
    done = _process("run", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "out"),
                    "--store", str(tmp_path / "store"), timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("ringwatch: error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "creators.csv").write_text("creator_id\n")
    done = _process("load", "--data", str(bad), "--store", str(tmp_path / "s2"),
                    "--quarantine", str(tmp_path / "q"), timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("ringwatch: error: ")
    assert "registered_at" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]


def test_global_options_work_after_the_command_too(tmp_path: Path) -> None:
    done = _process("load", "--data", str(tmp_path / "nope"), "--store", str(tmp_path / "s"),
                    "-q", timeout=60)
    assert done.returncode == 2 and "No such option" not in done.stderr
    assert _one_error_line(done.stderr).endswith("snapshot directory does not exist")


def test_help_keeps_the_defaults_it_states() -> None:
    """Rich markup once ate '[default: ...]' and left 'Port .'."""
    done = _process("serve", "--help", timeout=60, env={"COLUMNS": "200"})
    text = " ".join(done.stdout.split())
    assert "Port [default: $RINGWATCH_API_PORT or 8080]." in text
    assert "[default: $RINGWATCH_API_HOST or 127.0.0.1]" in text
    for command in ("load", "run", "detect", "enforce", "keys create"):
        shown = _process(*command.split(), "--help", timeout=60, env={"COLUMNS": "200"})
        assert not re.search(r"\w \.(\s|$)", " ".join(shown.stdout.split())), command


def test_eval_of_rings_and_labels_of_two_snapshots_exits_2(tmp_path: Path) -> None:
    rings = tmp_path / "rings.jsonl"
    rings.write_text(json.dumps({"ring_id": "R-1", "kind": "identity_ring", "score": 0.9,
                                 "members": [{"type": "creator", "id": "c_from_market_a"}],
                                 "evidence": []}) + "\n")
    labels = tmp_path / "labels.csv"
    labels.write_text("ring_id,account_type,account_id,typology\nL-1,creator,c_other,account_farm\n")
    done = _process("eval", "--rings", str(rings), "--labels", str(labels), "--no-baselines",
                    timeout=60)
    assert done.returncode == 2 and "not of one snapshot" in _one_error_line(done.stderr)
    missing = _process("eval", "--rings", str(rings), "--labels", str(tmp_path / "nope.csv"),
                       "--no-baselines", timeout=60)
    assert missing.returncode == 2 and "no such labels file" in _one_error_line(missing.stderr)
    labels.write_text("ring_id,account_type,account_id,typology\nL-1,creator,c_from_market_a,"
                      "account_farm\n")
    LocalStore(tmp_path / "other")  # a store that holds none of these rings
    other = _process("eval", "--rings", str(rings), "--labels", str(labels), "--store",
                     str(tmp_path / "other"), timeout=60)
    assert other.returncode == 2 and "none of the 1 ring in the file" in _one_error_line(other.stderr)


def test_help_points_at_the_contract_in_the_repository() -> None:
    result = _cli("--help")
    assert "docs/contract.md" in result.stdout and "../shared" not in result.stdout
    run_help = _cli("run", "--help")
    assert "docs/contract.md" in " ".join(run_help.stdout.split())
    assert (Path(__file__).resolve().parents[2] / "docs" / "contract.md").is_file()
