"""The loader's two paths for its key and reference checks: compiled (``core/_native.c``)
and numpy with Arrow. Where the install built the compiled checks both are tested; in CI
(``RINGWATCH_REQUIRE_NATIVE``, set by scripts/test.sh) a missing build fails, never skips."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ringwatch import native


def require_compiled() -> None:
    """Fail (CI) or skip (elsewhere) when the install did not build the compiled checks."""
    if native.available():
        return
    message = "the loader's compiled checks (core/_native.c) were not built by the install"
    if os.environ.get("RINGWATCH_REQUIRE_NATIVE"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(params=["compiled", "numpy"], scope="module")
def check_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test that asks runs on both paths (module scope: hypothesis's examples share it)."""
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "numpy":
            patch.setattr(native, "_LIBRARY", None)
        else:
            require_compiled()
        yield request.param
