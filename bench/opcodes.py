"""Bytecodes per cold lookup, by module: a CPU measure that machine noise cannot move.

    .venv/bin/python -m bench.opcodes                  # this tree, 50 lookups
    .venv/bin/python -m bench.opcodes --functions      # by function rather than by module
    .venv/bin/python -m bench.opcodes --footprint      # distinct functions run per lookup
    PYTHONPATH=/path/to/checkout python bench/opcodes.py   # an older checkout

bench.scale's cold lookups (its page and 10-item feed, a new site each time) over real
loopback sockets, with ``sys.settrace`` counting every bytecode instruction the interpreter
runs, in every thread, per module (commentluv's by name, others by package). The count is
the same from run to run, and it follows CPU time where wall-clock figures drown in noise:
on 2026-12-06 the h11 transport ran 13.5% more bytecodes per lookup than the hand-written
parser, and ``perf`` sampled 13.6% more CPU. Use it to see where a change moves the work;
confirm the time with ``python -m bench.sidebyside``.

Bytecodes follow CPU when the code is warm. bench.scale's lookups wait 30 ms for each
response, and what runs after a wait runs cold: its cost also grows with how much code it
touches. ``--footprint`` counts that: the distinct functions a cold lookup runs (and the size
of their bytecode), by module.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections import Counter
from types import CodeType, FrameType
from typing import Any

from bench.scale import start_server
from commentluv import CommentLuv, HTTPTransport, NullCache


def count(port: int, lookups: int, *, by_function: bool, footprint: bool = False) -> Counter[str]:
    """Bytecodes run during ``lookups`` cold lookups, by module (or module:function); with
    ``footprint``, the distinct functions run in each lookup, and "bytes:" + module their
    bytecode's size, summed over the lookups."""
    loopback = HTTPTransport(resolver=lambda host, port: ["127.0.0.1"])
    client = CommentLuv(allow_private_hosts=True, cache=NullCache(), transport=loopback)
    client.latest(f"http://warm.example:{port}/")  # imports, patterns, first-use costs
    ran: Counter[str] = Counter()
    codes: dict[CodeType, str] = {}  # the functions run in this lookup, with their module
    lookup_running = threading.Event()  # not while the lookup's functions are tallied

    def trace(frame: FrameType, event: str, _arg: Any) -> Any:
        module = str(frame.f_globals.get("__name__", "?"))
        if not module.startswith("commentluv"):
            module = module.split(".")[0]
        if footprint:
            if lookup_running.is_set():
                codes[frame.f_code] = module
            return None
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
            if footprint:  # (an Event's methods would count as the lookup's bytecodes)
                lookup_running.set()
            client.latest(f"http://opcodes{n}.example:{port}/")
            if footprint:
                lookup_running.clear()
                for code, module in codes.items():
                    ran[module] += 1
                    ran[f"bytes:{module}"] += len(code.co_code)
                codes.clear()
    finally:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        client.close()
    return ran


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.opcodes", description=__doc__)
    parser.add_argument("--lookups", type=int, default=50)
    parser.add_argument("--functions", action="store_true", help="by function")
    parser.add_argument("--footprint", action="store_true", help="distinct functions run")
    parser.add_argument("--top", type=int, default=25, help="rows to print")
    args = parser.parse_args(argv)
    port, server = start_server()
    try:
        ran = count(port, args.lookups, by_function=args.functions, footprint=args.footprint)
    finally:
        server.terminate()
    if args.footprint:
        _print_footprint(ran, args.lookups, args.top)
        return 0
    print(f"bytecodes per cold lookup: {sum(ran.values()) // args.lookups}")
    for name, total in ran.most_common(args.top):
        print(f"  {total // args.lookups:7d}  {name}")
    return 0


def _print_footprint(ran: Counter[str], lookups: int, top: int) -> None:
    functions = Counter({k: v for k, v in ran.items() if not k.startswith("bytes:")})
    size = {k.removeprefix("bytes:"): v for k, v in ran.items() if k.startswith("bytes:")}
    print(
        f"distinct functions per cold lookup: {sum(functions.values()) // lookups}"
        f" ({sum(size.values()) // lookups} bytes of bytecode)"
    )
    for module, total in functions.most_common(top):
        print(f"  {total // lookups:5d}  {size[module] // lookups:7d} B  {module}")


if __name__ == "__main__":
    sys.exit(main())
