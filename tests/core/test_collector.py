"""The garbage collector's settings for a command's process (core/collector.py).

Each check runs in a fresh interpreter: freezing is once per process, and the
test process's own collector is left as it is.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def _in_fresh_python(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, check=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_imports_frozen_once_and_young_collections_rarer() -> None:
    seen = _in_fresh_python("""
        import gc, json
        import pandas  # what a command imports
        from ringwatch.collector import YOUNG, settle_after_imports
        before = gc.get_freeze_count()
        settle_after_imports()
        frozen = gc.get_freeze_count()
        made_since = [[i] for i in range(50_000)]  # new objects, alive at the second call
        settle_after_imports()
        print(json.dumps({"before": before, "frozen": frozen, "again": gc.get_freeze_count(),
                          "threshold": gc.get_threshold(), "young": YOUNG}))
    """)
    assert seen["before"] == 0
    assert seen["frozen"] > 10_000  # pandas and its dependencies alone make more
    assert seen["again"] == seen["frozen"]  # the second call froze nothing more
    assert seen["threshold"] == [seen["young"], 10, 10]


def test_a_higher_threshold_or_a_disabled_collector_is_kept() -> None:
    seen = _in_fresh_python("""
        import gc, json
        gc.set_threshold(100_000, 10, 10)
        from ringwatch.collector import settle_after_imports
        settle_after_imports()
        higher = gc.get_threshold()
        print(json.dumps({"higher": higher}))
    """)
    assert seen["higher"] == [100_000, 10, 10]
    off = _in_fresh_python("""
        import gc, json
        gc.set_threshold(0)
        from ringwatch.collector import settle_after_imports
        settle_after_imports()
        print(json.dumps({"off": gc.get_threshold()[0]}))
    """)
    assert off["off"] == 0


def test_the_command_settles_the_collector_before_its_work() -> None:
    seen = _in_fresh_python("""
        import gc, json, sys
        from ringwatch.api import cli
        seen = {}
        def spy(*args, **kwargs):
            seen["frozen"] = gc.get_freeze_count()
            seen["threshold"] = gc.get_threshold()[0]
        cli.app = spy
        sys.argv = ["ringwatch", "--help"]
        cli.main()
        print(json.dumps(seen))
    """)
    assert seen["frozen"] > 10_000
    assert seen["threshold"] >= 20_000
