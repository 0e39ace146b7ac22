"""A load allocates from a pool that keeps freed memory, and leaves Arrow's default pool as it was."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pytest

from ringwatch.loaders import load_snapshot, memory_pool, snapshot
from ringwatch.loaders.memory_pool import load_allocator, load_pool

#: The backend of the pool a load allocates from (jemalloc where pyarrow has it).
LOADING = load_pool().backend_name


@pytest.fixture
def mimalloc_default():
    """Arrow's default pool is mimalloc for the test (as it is in pyarrow's wheels), restored after."""
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.mimalloc_memory_pool())
    yield
    pa.set_memory_pool(before)


def test_the_loading_pool_keeps_freed_memory():
    assert LOADING in {"jemalloc", "system"}


def test_the_pool_is_the_loading_one_inside_and_the_old_one_after(mimalloc_default):
    with load_allocator():
        assert pa.default_memory_pool().backend_name == LOADING
        with load_allocator():  # a second load at the same time
            assert pa.default_memory_pool().backend_name == LOADING
        assert pa.default_memory_pool().backend_name == LOADING  # the first still runs
    assert pa.default_memory_pool().backend_name == "mimalloc"


def test_the_old_pool_comes_back_after_an_error(mimalloc_default):
    with pytest.raises(RuntimeError), load_allocator():
        raise RuntimeError("a load failed")
    assert pa.default_memory_pool().backend_name == "mimalloc"


def test_overlapping_loads_in_threads_restore_the_pool_once_the_last_ends(mimalloc_default):
    inside, leave = threading.Barrier(3), threading.Event()

    def load() -> None:
        with load_allocator():
            inside.wait()
            leave.wait()

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert pa.default_memory_pool().backend_name == LOADING
    leave.set()
    for thread in threads:
        thread.join()
    assert pa.default_memory_pool().backend_name == "mimalloc"


def test_a_pool_the_caller_chose_is_left_alone(mimalloc_default):
    chosen = pa.proxy_memory_pool(pa.system_memory_pool())  # counts what goes through it
    pa.set_memory_pool(chosen)
    with load_allocator():
        kept = pa.array(range(100_000), pa.int64())
        assert chosen.bytes_allocated() >= kept.nbytes  # allocated through the caller's pool
    del kept
    pa.set_memory_pool(pa.mimalloc_memory_pool())


@pytest.fixture
def pools_seen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The default pool's backend each time a load validates a table."""
    seen: list[str] = []
    validate_one = snapshot._validate_one

    def spying(*args, **kwargs):
        seen.append(pa.default_memory_pool().backend_name)
        return validate_one(*args, **kwargs)

    monkeypatch.setattr(snapshot, "_validate_one", spying)
    return seen


def test_a_small_snapshot_leaves_the_pool_alone(mimalloc_default, generated_snapshot: Path,
                                                pools_seen: list[str]):
    seen = pools_seen
    assert load_snapshot(generated_snapshot).summary.reconciles
    assert seen and set(seen) == {"mimalloc"}


def test_a_load_allocates_from_the_loading_pool(mimalloc_default, generated_snapshot: Path,
                                                    pools_seen: list[str],
                                                    monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(memory_pool, "LARGE_SNAPSHOT_BYTES", 1)  # every snapshot is large
    seen = pools_seen
    result = load_snapshot(generated_snapshot)
    assert result.summary.reconciles
    assert seen and set(seen) == {LOADING}
    assert pa.default_memory_pool().backend_name == "mimalloc"


def test_the_command_line_allocates_from_the_reusing_pool_for_its_whole_process(mimalloc_default):
    assert memory_pool.reuse_freed_memory({})
    assert pa.default_memory_pool().backend_name == LOADING
    with load_allocator():  # a load inside it leaves the pool as it is, and so on leaving
        assert pa.default_memory_pool().backend_name == LOADING
    assert pa.default_memory_pool().backend_name == LOADING


def test_a_pool_the_user_named_is_left_alone(mimalloc_default):
    assert not memory_pool.reuse_freed_memory({"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"})
    assert pa.default_memory_pool().backend_name == "mimalloc"
    pa.set_memory_pool(pa.system_memory_pool())  # a pool the caller set in code
    assert not memory_pool.reuse_freed_memory({})
    assert pa.default_memory_pool().backend_name == "system"


def test_the_ringwatch_process_runs_on_the_reusing_pool(tmp_path):
    """The command's own set-up, in a process of its own: the pool every command then uses."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sys, pyarrow as pa\n"
        "from ringwatch.api import cli\n"
        "cli._configure(quiet=True, verbose=False, log_level=None)\n"
        "print(pa.default_memory_pool().backend_name)\n")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, env=env,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == LOADING
