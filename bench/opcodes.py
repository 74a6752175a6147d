"""Bytecodes per cold lookup, by module: a CPU measure that machine noise cannot move.

    .venv/bin/python -m bench.opcodes                  # this tree, 50 lookups
    .venv/bin/python -m bench.opcodes --functions      # by function rather than by module
    PYTHONPATH=/path/to/checkout python bench/opcodes.py   # an older checkout

bench.scale's cold lookups (its page and 10-item feed, a new site each time) over real
loopback sockets, with ``sys.settrace`` counting every bytecode instruction the interpreter
runs, in every thread, per module (commentluv's by name, others by package). The count is
the same from run to run, and it follows CPU time where wall-clock figures drown in noise:
on 2026-12-06 the h11 transport ran 13.5% more bytecodes per lookup than the hand-written
parser, and ``perf`` sampled 13.6% more CPU. Use it to see where a change moves the work;
confirm the time with ``python -m bench.sidebyside``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections import Counter
from types import FrameType
from typing import Any

from bench.scale import start_server
from commentluv import CommentLuv, HTTPTransport, NullCache


def count(port: int, lookups: int, *, by_function: bool) -> Counter[str]:
    """Bytecodes run during ``lookups`` cold lookups, by module (or module:function)."""
    loopback = HTTPTransport(resolver=lambda host, port: ["127.0.0.1"])
    client = CommentLuv(allow_private_hosts=True, cache=NullCache(), transport=loopback)
    client.latest(f"http://warm.example:{port}/")  # imports, patterns, first-use costs
    ran: Counter[str] = Counter()

    def trace(frame: FrameType, event: str, _arg: Any) -> Any:
        module = str(frame.f_globals.get("__name__", "?"))
        if not module.startswith("commentluv"):
            module = module.split(".")[0]
        name = f"{module}:{frame.f_code.co_name}" if by_function else module
        frame.f_trace_opcodes = True

        def each(_frame: FrameType, event: str, _arg: Any) -> Any:
            if event == "opcode":
                ran[name] += 1
            return each

        return each

    sys.settrace(trace)
    threading.settrace(trace)
    try:
        for n in range(lookups):
            client.latest(f"http://opcodes{n}.example:{port}/")
    finally:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        client.close()
    return ran


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.opcodes", description=__doc__)
    parser.add_argument("--lookups", type=int, default=50)
    parser.add_argument("--functions", action="store_true", help="by function")
    parser.add_argument("--top", type=int, default=25, help="rows to print")
    args = parser.parse_args(argv)
    port, server = start_server()
    try:
        ran = count(port, args.lookups, by_function=args.functions)
    finally:
        server.terminate()
    print(f"bytecodes per cold lookup: {sum(ran.values()) // args.lookups}")
    for name, total in ran.most_common(args.top):
        print(f"  {total // args.lookups:7d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
