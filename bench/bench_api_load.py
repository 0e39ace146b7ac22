"""Load on `GET /rings?limit=50`: requests per second and p99 latency, from a second process.

Target (issue: review API): on the local store, at least 500 requests/s with
p99 under 100 ms on this 2-core machine; the same is measured against Neo4j
(``--backend neo4j`` with the ``RINGWATCH_NEO4J_*`` variables set). The load
generator is ``wrk`` (Debian package ``wrk``) in its own process on loopback,
bounded in time. The baseline, measured in the same run on the same server,
is ``GET /healthz`` (no store, no auth): the ratio says how much of the
server's capacity the ring listing keeps.

    python bench/bench_api_load.py --seconds 20
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ringwatch(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "ringwatch", "--log-level", "warning", *args],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ringwatch {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _wrk(url: str, seconds: int, connections: int, headers: list[str]) -> tuple[float, float]:
    """Run wrk; return (requests per second, p99 latency in ms)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for header in headers:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    return rps, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["local", "neo4j"], default="local")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RINGWATCH_STORE": str(Path(tmp) / "store")}
        data, out = Path(tmp) / "snapshot", Path(tmp) / "out"
        _ringwatch("generate", "--out", str(data), "--scale", str(args.scale), env=env)
        _ringwatch("run", "--data", str(data), "--out", str(out), "--backend", args.backend,
                   env=env)
        key = _ringwatch("keys", "create", "--role", "viewer", "--label", "bench",
                         "--backend", args.backend, env=env).strip().splitlines()[-1].split()[-1]
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "ringwatch", "--log-level", "warning", "serve", "--backend",
             args.backend, "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{base}/readyz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.5)
            headers = [f"X-API-Key: {key}"]
            _wrk(f"{base}/rings?limit=50", 3, args.connections, headers)  # warm the caches
            rings_rps, rings_p99 = _wrk(f"{base}/rings?limit=50", args.seconds, args.connections,
                                        headers)
            health_rps, health_p99 = _wrk(f"{base}/healthz", args.seconds, args.connections, [])
        finally:
            server.terminate()
            server.wait(timeout=30)
        verdict = "meets" if rings_rps >= 500 and rings_p99 < 100 else "misses"
        print(f"api load ({args.backend}): GET /rings?limit=50 {rings_rps:,.0f} req/s, "
              f"p99 {rings_p99:.1f} ms; baseline GET /healthz {health_rps:,.0f} req/s, "
              f"p99 {health_p99:.1f} ms; ratio {rings_rps / health_rps:.2f} "
              f"({verdict} the target of 500 req/s with p99 < 100 ms)")


if __name__ == "__main__":
    main()
