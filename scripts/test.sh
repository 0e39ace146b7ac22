#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the test dependencies into .venv,
# builds and starts a real Neo4j (tools/neo4j_launcher, from Maven Central), runs every
# test against both stores, stops Neo4j. Extra arguments go to pytest.
#
# The Neo4j used here is a throw-away one (its own data dir and port, a random
# password made for this run), so it never touches a Neo4j you use for real.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,spark]"  # spark: the Spark engine's parity tests

# Headless Chromium (Debian's package) for the review page's browser test.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    (apt-get install -y -q chromium >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }) \
      || echo "could not install chromium: the browser test will say so" >&2
  else
    echo "chromium is missing and this is not root: install Debian's chromium package" >&2
  fi
fi
export RINGWATCH_REQUIRE_BROWSER=1

export RINGWATCH_NEO4J_HOME="$root/.neo4j/test"
export RINGWATCH_NEO4J_BOLT_PORT=${RINGWATCH_TEST_BOLT_PORT:-7697}
export RINGWATCH_NEO4J_URI="bolt://127.0.0.1:$RINGWATCH_NEO4J_BOLT_PORT"
export RINGWATCH_NEO4J_USER=neo4j
RINGWATCH_NEO4J_PASSWORD="test-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(12))')"
export RINGWATCH_NEO4J_PASSWORD
export RINGWATCH_REQUIRE_NEO4J=1  # the Neo4j tests fail, never skip, when the server is missing
export RINGWATCH_REQUIRE_SPARK=1  # the Spark engine's tests (local mode, Java 17) fail, never skip
export RINGWATCH_REQUIRE_NATIVE=1  # the compiled kernels (core/_native.c) must be built

tools/neo4j_launcher/neo4jctl stop >/dev/null 2>&1 || true
rm -rf "$RINGWATCH_NEO4J_HOME"
tools/neo4j_launcher/neo4jctl start
trap 'tools/neo4j_launcher/neo4jctl stop' EXIT

status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
lint=0
.venv/bin/ruff check . || lint=$?
[ "$status" -ne 0 ] && exit "$status"
exit "$lint"
