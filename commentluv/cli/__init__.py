"""The ``commentluv`` command: print the backlink of each site URL given, or run a subcommand.

    commentluv [options] URL [URL ...]     look sites up (the default command)
    commentluv lookup [options] URL ...    the same, by name
    commentluv COMMAND --help              a subcommand's options

A URL that is spelled like a subcommand is looked up when written with a scheme or after
``--``. Kept light at import time (``--help`` must be instant): the HTTP and parsing stack is
imported only once there is something to look up.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from .lookup import run_lookup
from .options import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, default_cache_path

__all__ = ["EXIT_OK", "EXIT_SOME_FAILED", "EXIT_USAGE", "default_cache_path", "main"]


@dataclass(frozen=True)
class Subcommand:
    """A named command: its one-line help, and how to run it (argv after the name)."""

    help: str
    run: Callable[[list[str], TextIO], int]


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None) -> int:
    """Run the command; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = SUBCOMMANDS.get(args[0]) if args else None
    if command is not None:
        return command.run(args[1:], stdin or sys.stdin)
    return _run_lookup(args, stdin or sys.stdin)


def _run_lookup(argv: list[str], stdin: TextIO) -> int:
    return run_lookup(argv, stdin, {name: command.help for name, command in SUBCOMMANDS.items()})


def _run_serve(argv: list[str], stdin: TextIO) -> int:
    from .serve import run_serve  # the service's code (and waitress) only for this command

    return run_serve(argv, stdin)


def _run_backfill(argv: list[str], stdin: TextIO) -> int:
    from .backfill import run  # the backfill package loads only for this command

    return run(argv, stdin)


SUBCOMMANDS: dict[str, Subcommand] = {
    "lookup": Subcommand("look sites up and print their backlinks (the default)", _run_lookup),
    "serve": Subcommand(
        "serve the comment form's widget and its service (commentluv[web])", _run_serve
    ),
    "backfill": Subcommand(
        "backlinks for an old blog's comments (WordPress, Blogger, Movable Type, CSV...)",
        _run_backfill,
    ),
}
