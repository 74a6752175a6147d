"""A connection flood against a real ``commentluv serve``: one address (127.0.0.1) holds
half-open connections while another (127.0.0.2) asks for the widget and a cached /recent.

The test in test_serve.py uses these helpers; run as a script it prints the figures
(median and slowest answer, with and without the flood):

    python -m tests.cli.flood [--connections 300] [--code-path DIR]

``--code-path`` runs the server from another checkout of commentluv (an older commit, for
the figures before a change)."""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HALF_A_HEAD = b"GET /commentluv.js HTTP/1.1\r\nHost: flood\r\nX-Slow: "


def half_open(port: int, count: int) -> list[socket.socket]:
    """``count`` connections from 127.0.0.1, each sending a request head it never finishes
    (connections the server refuses or resets are not kept)."""
    sockets = []
    for _ in range(count):
        conn = socket.socket()
        conn.settimeout(5)
        try:
            conn.connect(("127.0.0.1", port))
            conn.sendall(HALF_A_HEAD)
        except OSError:
            conn.close()
            continue
        sockets.append(conn)
    return sockets


def closed_by_server(conn: socket.socket) -> bool:
    conn.settimeout(0.01)
    try:
        return conn.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def timed_get(port: int, path: str, timeout: float = 10.0) -> tuple[int, float]:
    """GET ``path`` from 127.0.0.2 (another client): the status (0: no answer) and the
    seconds it took."""
    started = time.monotonic()
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=("127.0.0.2", 0)
    )
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        answer.read()
        return answer.status, time.monotonic() - started
    except OSError:
        return 0, time.monotonic() - started
    finally:
        conn.close()


@contextmanager
def serving(*args: str, code: Path | None = None) -> Iterator[str]:
    """``commentluv serve`` on a free port of 127.0.0.1 with ``args`` (from the checkout
    ``code`` if given, else this one); yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "commentluv", "serve", "--port", "0", *args],
        stderr=subprocess.PIPE,
        text=True,
        cwd=code,  # python -m puts the working folder first on the path
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        match = re.search(r"serving (http://127\.0\.0\.1:\d+)/", line)
        assert match, line + process.stderr.read()
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def _figures(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:.1f} ms, slowest {max(times) * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--requests", type=int, default=20, help="per path")
    parser.add_argument("--code-path", type=Path, help="run the server from this checkout")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parents[2] / "examples"))
    from sample_site import serve_sample_site

    with tempfile.TemporaryDirectory() as folder, serve_sample_site() as site:
        secret = Path(folder, "secret").absolute()
        secret.write_bytes(os.urandom(32).hex().encode())
        options = ["--secret-file", str(secret), "--cache", str(Path(folder, "cache"))]
        options += ["--allow-private-hosts", "--rate", "1000", "--burst", "1000"]
        with serving(*options, code=args.code_path) as base:
            port = int(base.rsplit(":", 1)[1])
            paths = ("/commentluv.js", f"/recent?url={site}")
            timed_get(port, paths[1])  # now cached
            for flooded in (False, True):
                flood = half_open(port, args.connections) if flooded else []
                print(
                    f"{len(flood)} half-open connections from 127.0.0.1 held"
                    if flooded
                    else "no flood"
                )
                for path in paths:
                    answers = [timed_get(port, path) for _ in range(args.requests)]
                    statuses = sorted({status for status, _ in answers})
                    times = [seconds for _, seconds in answers]
                    print(f"  {path.split('?')[0]}: statuses {statuses}, {_figures(times)}")
                if flooded:
                    time.sleep(0.5)
                    closed = sum(closed_by_server(conn) for conn in flood)
                    print(f"  closed by the server: {closed} of {len(flood)}")
                for conn in flood:
                    conn.close()


if __name__ == "__main__":
    main()
