"""The local store's background writes: every file written before the block ends, callbacks in
the order the writes were given, on the caller's thread, and a failed write raised, not lost."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ringwatch.graph.local_writes import BackgroundWrites


def _slow_write(seconds: float, text: str):
    def write(path: Path) -> None:
        time.sleep(seconds)
        path.write_text(text)
    return write


def test_every_write_is_done_and_reported_in_order_when_the_block_ends(tmp_path: Path) -> None:
    told: list[tuple[str, bool, bool]] = []
    caller = threading.get_ident()
    with BackgroundWrites() as writes:
        for name, seconds in (("a", 0.05), ("b", 0.0), ("c", 0.02)):
            path = tmp_path / name

            def done(name: str = name, path: Path = path) -> None:
                told.append((name, path.read_text() == name, threading.get_ident() == caller))

            writes.submit(_slow_write(seconds, name), path, done)
    assert told == [("a", True, True), ("b", True, True), ("c", True, True)]


def test_the_writes_run_beside_the_caller(tmp_path: Path) -> None:
    started = threading.Event()

    def write(path: Path) -> None:
        started.set()
        path.write_text("x")

    with BackgroundWrites() as writes:
        writes.submit(write, tmp_path / "x")
        assert started.wait(5)  # the caller goes on while the writer works
    assert (tmp_path / "x").read_text() == "x"


def test_a_failed_write_is_raised_and_its_callback_never_runs(tmp_path: Path) -> None:
    told: list[str] = []

    def failing(path: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), BackgroundWrites() as writes:
        writes.submit(failing, tmp_path / "bad", lambda: told.append("bad"))
        writes.submit(_slow_write(0, "ok"), tmp_path / "after", lambda: told.append("after"))
    assert told == []
