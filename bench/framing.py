"""HTTP/1.1 framing alone, warm and cold: ``python -m bench.framing OLD_TREE [--lookups 400]``.

One lookup's two exchanges (bench.scale's page, then its feed), framed in memory without a
socket, two ways in one process: with h11, called as ``commentluv._net.http`` calls it (the
request built and sent with its end of message, the response's head, body and end read as
events, the next cycle started), and with the hand-written parser of an older checkout
(``OLD_TREE/commentluv/_net/wire.py``, as on 7325950: ``request_bytes``, ``head_end``,
``parse_head``, ``framing``). Each exchange runs after a pause, either none (warm) or
bench.scale's 30 ms (cold: what runs after a wait for the network runs with cold caches), the
two parsers alternating in each round. Prints the median CPU per lookup of each and the
median of the per-round differences. It fetches nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType

import h11

from bench.scale import LATENCY, PAGE, feed
from commentluv._net.wire import MAX_HEAD_BYTES

_REQUEST_FIELDS = {
    "Host": "site.example",
    "Accept-Encoding": "gzip, deflate",
    "User-Agent": "commentluv/1.0 (+https://example.org/bench)",
    "Accept": "text/html,application/xhtml+xml",
}
_ENCODED_FIELDS = [(name.encode(), value.encode()) for name, value in _REQUEST_FIELDS.items()]
_END_OF_MESSAGE = h11.EndOfMessage()


def _response(body: bytes, media_type: str) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {media_type}; charset=UTF-8\r\n"
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


_EXCHANGES = (
    ("/", _response(PAGE.format(name="site").encode(), "text/html")),
    ("/feed/", _response(feed("site.example"), "application/rss+xml")),
)


def _h11_exchange(connection: h11.Connection, target: str, answer: bytes) -> None:
    request = h11.Request(method="GET", target=target, headers=_ENCODED_FIELDS)
    connection.send(request)
    connection.send(_END_OF_MESSAGE)
    connection.receive_data(answer)
    response = connection.next_event()
    assert isinstance(response, h11.Response)
    dict(response.headers.raw_items())
    data = connection.next_event()
    assert isinstance(data, h11.Data)
    assert isinstance(connection.next_event(), h11.EndOfMessage)
    connection.start_next_cycle()


def _wire_exchange(wire: ModuleType, target: str, answer: bytes) -> None:
    wire.request_bytes(target, _REQUEST_FIELDS)
    end = wire.head_end(answer)
    wire.framing(wire.parse_head(answer[:end]))


def _lookup(exchange: Callable[[str, bytes], None], pause: float) -> float:
    """CPU seconds of one lookup's two exchanges, each after ``pause``."""
    spent = 0.0
    for target, answer in _EXCHANGES:
        time.sleep(pause)
        started = time.process_time()
        exchange(target, answer)
        spent += time.process_time() - started
    return spent


def _old_wire(tree: Path) -> ModuleType:
    path = tree / "commentluv" / "_net" / "wire.py"
    spec = importlib.util.spec_from_file_location("bench_old_wire", path)
    if spec is None or spec.loader is None or not path.exists():
        raise SystemExit(f"{path}: no such file")
    wire = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = wire  # dataclasses look their module up while the class is made
    spec.loader.exec_module(wire)
    if not hasattr(wire, "parse_head"):
        raise SystemExit(f"{path} has no hand-written parser (parse_head): use 7325950")
    return wire


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path, help="a checkout with the hand-written parser")
    parser.add_argument("--lookups", type=int, default=400)
    args = parser.parse_args(argv)
    wire = _old_wire(args.old.resolve())
    for label, pause in (("warm", 0.0), ("cold", LATENCY)):
        old: list[float] = []
        new: list[float] = []
        for round_ in range(args.lookups):
            connection = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
            runs = [(old, partial(_wire_exchange, wire)), (new, partial(_h11_exchange, connection))]
            for figures, exchange in runs if round_ % 2 == 0 else reversed(runs):
                figures.append(_lookup(exchange, pause))
        differences = [b - a for a, b in zip(old, new, strict=True)]
        print(
            f"{label} ({pause * 1000:.0f} ms before each exchange): hand-written parser"
            f" {statistics.median(old) * 1e6:.1f} us, h11 {statistics.median(new) * 1e6:.1f}"
            f" us per lookup; median difference {statistics.median(differences) * 1e6:+.1f} us",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
