"""Cold lookups over HTTPS: ``python -m bench.tls`` (see bench/README.md).

A throwaway CA (made with the openssl command at start) signs ``*.blog.example``; one asyncio
server process on 127.0.0.1 serves the generated WordPress-like sites of bench/scale.py over
TLS, holding each new connection ``--latency`` before its TLS handshake and as long again in
it (TCP's round trip, then TLS 1.3's), and each response ``--latency``. Each client runs in a
fresh process and looks ``--lookups`` distinct sites up one after another, cold (a new host
each time: no connection to reuse). The floor is four round trips: TCP, TLS, page, feed.

Peers, for the same page + feed: requests (a Session per lookup), and the standard library's
http.client with one connection for both requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import multiprocessing.connection
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.scale import answer

LATENCY = 0.030
LOOKUPS = 100


def make_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signed for ``*.blog.example``: (ca, cert, key)."""
    ca, ca_key = folder / "ca.pem", folder / "ca-key.pem"
    cert, key, request = folder / "cert.pem", folder / "key.pem", folder / "request.pem"
    names = folder / "names.cnf"
    names.write_text("subjectAltName=DNS:*.blog.example\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for command in (
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "1",
         "-subj", "/CN=bench CA"],
        ["req", *ec, "-keyout", key, "-out", request, "-subj", "/CN=blog.example"],
        ["x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "1", "-extfile", names],
    ):  # fmt: skip
        subprocess.run(["openssl", *map(str, command)], check=True, capture_output=True)
    return ca, cert, key


class Held(asyncio.Protocol):
    """A new connection, not read until its TCP and TLS round trips have passed (bytes read
    before the TLS layer starts would be lost to it); then TLS and the requests."""

    connections = 0

    def __init__(self, tls: ssl.SSLContext, latency: float) -> None:
        self.tls = tls
        self.latency = latency

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        Held.connections += 1
        transport.pause_reading()
        self.task = asyncio.ensure_future(self._serve(transport))

    async def _serve(self, transport: asyncio.Transport) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(2 * self.latency)  # TCP's round trip, then TLS 1.3's
        reader = asyncio.StreamReader()
        protocol = asyncio.StreamReaderProtocol(reader)
        transport.set_protocol(protocol)
        try:
            secure = await loop.start_tls(transport, protocol, self.tls, server_side=True)
        except (ConnectionError, ssl.SSLError):
            transport.close()
            return
        assert secure is not None
        writer = asyncio.StreamWriter(secure, protocol, reader, loop)
        await answer(reader, writer, self.latency)


def _serve(
    ready: multiprocessing.connection.Connection, cert: str, key: str, latency: float
) -> None:
    logging.getLogger("asyncio").setLevel(logging.ERROR)  # StreamReaderProtocol over TLS
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: Held(tls, latency), "127.0.0.1", 0, backlog=1024)
        ready.send(server.sockets[0].getsockname()[1])
        while True:  # answers "how many connections so far?"
            await asyncio.sleep(0.01)
            if ready.poll():
                ready.recv()
                ready.send(Held.connections)

    asyncio.run(main())


CLIENT = r"""
import json, socket, statistics, sys, time
tool, port, count, ca = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
urls = [f"https://site{i}.blog.example:{port}/" for i in range(count)]
real = socket.getaddrinfo
def loopback(host, *args, **kwargs):  # every *.blog.example is 127.0.0.1
    return real("127.0.0.1" if host.endswith(".blog.example") else host, *args, **kwargs)
socket.getaddrinfo = loopback
if tool == "commentluv":
    from commentluv import CommentLuv, NullCache
    luv = CommentLuv(allow_private_hosts=True, cache=NullCache(), ca_bundle=ca,
                     resolver=lambda host, port: ["127.0.0.1"])
    def lookup(url):
        return luv.latest(url).title
elif tool == "requests":
    import requests
    def lookup(url):
        with requests.Session() as session:
            session.get(url, verify=ca).text
            return session.get(url + "feed/", verify=ca).text[:10]
elif tool == "http.client":
    import http.client, ssl
    context = ssl.create_default_context(cafile=ca)
    def lookup(url):
        host = url.split("/")[2].split(":")[0]
        connection = http.client.HTTPSConnection(host, port, context=context)
        for path in ("/", "/feed/"):
            connection.request("GET", path)
            body = connection.getresponse().read()
        connection.close()
        return body[:10]
lookup(f"https://warm.blog.example:{port}/")  # imports, the CA bundle, first-use costs
wall = []
for url in urls:
    started = time.perf_counter()
    lookup(url)
    wall.append(time.perf_counter() - started)
print(json.dumps({"wall_ms_median": statistics.median(wall) * 1000,
                  "wall_ms_p90": statistics.quantiles(wall, n=10)[-1] * 1000}))
"""

TOOLS = ("commentluv", "requests", "http.client")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lookups", type=int, default=LOOKUPS)
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per tool")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        ca, cert, key = make_ca(Path(folder))
        parent, child = multiprocessing.Pipe()
        server = multiprocessing.Process(
            target=_serve, args=(child, str(cert), str(key), args.latency), daemon=True
        )
        server.start()
        port = int(parent.recv())
        results: dict[str, list[dict[str, float]]] = {tool: [] for tool in TOOLS}
        try:
            for _ in range(args.rounds):
                for tool in TOOLS:
                    parent.send("count")
                    before = int(parent.recv())
                    ran = subprocess.run(
                        [sys.executable, "-c", CLIENT, tool, str(port), str(args.lookups), str(ca)],
                        cwd=Path(__file__).resolve().parent.parent,
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    if ran.returncode:
                        raise SystemExit(f"{tool} failed:\n{ran.stderr}")
                    parent.send("count")
                    opened = int(parent.recv()) - before - 1  # the warm-up lookup's
                    result = json.loads(ran.stdout.strip().splitlines()[-1])
                    result["connections_per_lookup"] = opened / args.lookups
                    results[tool].append(result)
        finally:
            server.terminate()
    floor = 4 * args.latency * 1000
    print(
        f"{args.lookups} cold HTTPS lookups (page + feed) per run, {args.rounds} interleaved"
        f" runs, {args.latency * 1000:.0f} ms a round trip: floor {floor:.0f} ms\n"
    )
    print("| tool | wall per cold lookup, median of run medians (p90) | vs floor | connections"
          " per lookup |\n|---|---|---|---|")  # fmt: skip
    for tool, runs in results.items():
        wall = sorted(run["wall_ms_median"] for run in runs)[len(runs) // 2]
        p90 = sorted(run["wall_ms_p90"] for run in runs)[len(runs) // 2]
        connections = max(run["connections_per_lookup"] for run in runs)
        print(
            f"| {tool} | {wall:.1f} ms ({p90:.1f}) | +{wall - floor:.1f} ms | {connections:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
