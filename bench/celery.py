"""Celery workers filling a shared Redis cache: ``python -m bench.celery`` (see bench/README.md).

N distinct sites (``site1.example`` ... on the loopback server of bench/scale.py, each
request held 30 ms) are queued with one ``warm_sites`` task; W worker processes
(``celery -A bench.celery worker``, threads pool) refresh them in chunks into a Redis cache,
with Redis as the broker too (a redis-server of its own on 127.0.0.1). The time is from
queueing to the last site filed in the cache's index; reported as sites per second.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from celery import Celery

from commentluv import CommentLuv, HTTPTransport
from commentluv.cache.redis import RedisCache
from commentluv.integrations.celery import Settings, Tasks, register

from .scale import LATENCY, start_server

ROOT = Path(__file__).parent.parent


def make_app(redis: str, threads: int) -> tuple[Celery, Tasks]:
    """Broker in database 1, the shared cache in database 0 of the server at ``redis``."""
    app = Celery("bench", broker=f"{redis}/1")
    app.conf.update(worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True)

    def client() -> CommentLuv:
        return CommentLuv(
            cache=RedisCache(f"{redis}/0"),
            allow_private_hosts=True,
            max_workers=threads,
            transport=HTTPTransport(resolver=lambda host, port: ["127.0.0.1"]),
        )

    return app, register(app, client, Settings(rewarm_every=0))


if "BENCH_REDIS" in os.environ:  # a worker process
    app, tasks = make_app(os.environ["BENCH_REDIS"], int(os.environ["BENCH_THREADS"]))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis(folder: Path) -> tuple[str, subprocess.Popen[bytes]]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("needs redis-server on PATH (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return f"redis://127.0.0.1:{port}", server
        except OSError:
            time.sleep(0.05)
    sys.exit("redis-server did not start")


def start_worker(
    redis: str, name: str, args: argparse.Namespace, log: Path
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BENCH_REDIS": redis, "BENCH_THREADS": str(args.threads)}
    command = [sys.executable, "-m", "celery", "-A", "bench.celery", "worker", "--pool=threads"]
    command += [f"--concurrency={args.concurrency}", f"--hostname={name}@%h", f"--logfile={log}"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def run(workers: int, args: argparse.Namespace, site_port: int, folder: Path) -> float:
    """Seconds for ``workers`` workers to fill the cache with ``args.sites`` sites."""
    redis, server = start_redis(folder)
    _, tasks = make_app(redis, args.threads)
    cache = RedisCache(f"{redis}/0")
    processes = [
        start_worker(redis, f"w{n}-{workers}", args, folder / f"w{n}-{workers}.log")
        for n in range(workers)
    ]
    try:
        time.sleep(args.start_up)  # the workers import and connect
        urls = [f"http://site{n}.example:{site_port}/" for n in range(args.sites)]
        started = time.monotonic()
        tasks.warm_sites.delay(urls)
        # Every site the store writes is filed in the index: its size counts the sites done.
        while cache.redis.zcard("commentluv:index:due") < args.sites:
            if time.monotonic() - started > args.timeout:
                sys.exit(f"only {cache.redis.zcard('commentluv:index:due')} sites in time")
            time.sleep(0.02)
        return time.monotonic() - started
    finally:
        for process in processes:
            process.kill()
            process.wait()
        cache.close()
        server.terminate()
        server.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=3000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, default=4, help="tasks per worker at once")
    parser.add_argument("--threads", type=int, default=8, help="lookups per task at once")
    parser.add_argument("--start-up", type=float, default=4.0, help="seconds to let workers start")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    site_port, site_server = start_server()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for workers in args.workers:
                seconds = run(workers, args, site_port, Path(folder))
                rows.append((workers, seconds))
    finally:
        site_server.terminate()
    print(
        f"{os.cpu_count()} CPUs, {args.sites} distinct sites, {LATENCY * 1000:.0f} ms a request, "
        f"threads pool --concurrency {args.concurrency}, {args.threads} lookups per task\n"
    )
    print("| workers | seconds | sites/s |\n|---|---|---|")
    for workers, seconds in rows:
        print(f"| {workers} | {seconds:.1f} | {args.sites / seconds:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
