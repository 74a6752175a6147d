"""Two trees side by side: ``python -m bench.sidebyside OLD_TREE [--rounds 5] [--sample 300]
[--sites 2000]``.

Runs bench.scale's own client code (``CLIENT``: modes ``cpu`` and ``lookup_many``) in fresh
processes with ``cwd`` = each tree, so each imports its own ``commentluv``; the two trees are
interleaved, the order alternating per round, against one bench.scale server process. The
old tree is any checkout (``git archive COMMIT | tar -x -C DIR``); nothing is fetched.
Prints each round and then the medians, including the median of per-round differences.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from bench.scale import run_client, start_server

HERE = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path, help="the other tree (its commentluv and bench)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sample", type=int, default=300, help="cold lookups timed for CPU")
    parser.add_argument("--sites", type=int, default=2000, help="lookup_many sites; 0 skips")
    args = parser.parse_args(argv)
    roots = {"old": args.old.resolve(), "new": HERE}
    figures: dict[str, dict[str, list[float]]] = {
        name: {"cpu": [], "memory": [], "many": [], "many_cpu": []} for name in roots
    }
    port, server = start_server()
    try:
        for round_ in range(args.rounds):
            for name in list(roots) if round_ % 2 == 0 else list(reversed(roots)):
                cpu = run_client("cpu", port, args.sample, 1, tree=roots[name])
                mine = figures[name]
                mine["cpu"].append(cpu["cpu_ms_median"])
                mine["memory"].append(cpu["memory_ms_after_0"])
                line = f"round {round_} {name}: cpu {cpu['cpu_ms_median']:.3f} ms"
                if args.sites:
                    many = run_client("lookup_many", port, args.sites, 32, tree=roots[name])
                    mine["many"].append(many["sites_per_second"])
                    mine["many_cpu"].append(many["cpu_ms_per_site"])
                    line += f", lookup_many {many['sites_per_second']:.0f} sites/s"
                    line += f" ({many['ok']} ok, {many['cpu_ms_per_site']:.3f} ms CPU/site)"
                print(line, flush=True)
    finally:
        server.terminate()
    for name, values in figures.items():
        medians = {key: round(statistics.median(v), 3) for key, v in values.items() if v}
        print(name, medians)
    for key in ("cpu", "many", "many_cpu"):
        pairs = zip(figures["new"][key], figures["old"][key], strict=True)
        differences = [new - old for new, old in pairs]
        if differences:
            median = statistics.median(differences)
            print(f"{key}: median of per-round differences (new - old) {median:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
