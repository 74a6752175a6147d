"""``commentluv backfill``: backlinks for the comments an old blog brings along.

Imported only when the subcommand runs (``commentluv --help`` stays light). Results are
written from the state file once every site is done, each output whole or not at all; an
interrupted run keeps its progress there for ``--resume``. Ctrl-C stops the run in order
(:meth:`~commentluv.backfill.BackfillRun.stop`); a second one ends the process at once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, get_args

from .._shared.text import counted
from ..backfill import Columns, InputError, StateMismatch, backfill, read_comments, read_state_info
from ..backfill.models import MAX_PER_HOST, Progress, Summary
from ..backfill.readers import InputFormat, detect_format
from ..backfill.writers import output_format_for, save_results, write_results
from ..backfill.wxr import write_wxr
from ..formatting import STYLES, validate_style
from .options import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    add_lookup_options,
    build_client,
    close_cache,
    default_cache_path,
    logging_to_stderr,
    non_negative_float,
    positive_int,
)

if TYPE_CHECKING:
    from ..backfill.engine import BackfillRun
    from ..client import CommentLuv

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_INTERRUPTED", "PROGRESS_EVERY", "run", "summary_lines"]

EXIT_INTERRUPTED = 130  # as a shell reports a command ended by Ctrl-C
EXIT_BROKEN_PIPE = 141  # as a shell reports a command ended by SIGPIPE (`... | head`)
PROGRESS_EVERY = 10.0  # seconds between plain progress lines (no terminal, or no tqdm)
PREFIX = "commentluv: backfill:"


def run(argv: list[str], stdin: TextIO) -> int:
    """Run ``commentluv backfill``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    fmt = _checked(parser, args)
    state = args.state or _default_state_path(args)
    ctrl_c = _CtrlC(state)
    with ctrl_c.handled():
        return _run(args, fmt, state, ctrl_c)


def _run(args: argparse.Namespace, fmt: InputFormat, state: Path, ctrl_c: _CtrlC) -> int:
    try:
        previous = read_state_info(state)
    except sqlite3.Error as exc:
        print(f"{PREFIX} the state file {state} is unusable ({exc}): remove it", file=sys.stderr)
        return EXIT_SOME_FAILED
    if previous is not None and not args.resume and previous.sites_done < previous.sites:
        _say(args, f"an unfinished run of this input is in {state}: starting afresh")
    with logging_to_stderr(args.verbose):
        client, cache = build_client(args, stale_ttl=0)
        try:
            with client:
                status = _backfill(args, fmt, state, client, ctrl_c)
        finally:
            close_cache(cache)
    if status == EXIT_OK and args.state is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{state}{suffix}").unlink(missing_ok=True)  # nothing left to resume
    return status


def _backfill(
    args: argparse.Namespace, fmt: InputFormat, state: Path, client: CommentLuv, ctrl_c: _CtrlC
) -> int:
    columns = Columns(args.name_column, args.url_column, args.date_column, args.id_column)
    reporter = _reporter(args)
    run = backfill(
        read_comments(args.input, fmt, columns),
        client,
        as_of=args.as_of,
        fallback=args.fallback,
        jobs=args.jobs,
        per_host=args.per_host,
        delay=args.delay,
        style=args.style,
        include_unapproved=args.include_unapproved,
        refresh=args.refresh,
        state=state,
        resume=args.resume,
        source=_source(args, fmt),
        progress=reporter,
    )
    with run:
        ctrl_c.stops(run)
        try:
            try:
                for _ in run:
                    pass
            finally:
                reporter.close()  # before any message, so that a bar does not garble it
            if run.interrupted:
                done = run.summary
                print(
                    f"{PREFIX} interrupted after {done.sites_looked_up + done.sites_resumed} "
                    f"of {counted(done.sites, 'site')}; the progress is kept in {state}: "
                    "add --resume to go on",
                    file=sys.stderr,
                )
                return EXIT_INTERRUPTED
            written = _write_outputs(args, run)
        except BrokenPipeError:
            _silence_closed_pipes()
            return EXIT_BROKEN_PIPE
        except (InputError, StateMismatch, OSError, sqlite3.Error) as exc:
            print(f"{PREFIX} {exc}", file=sys.stderr)
            return EXIT_SOME_FAILED
        if not args.quiet:
            for line in summary_lines(run.summary):
                print(f"{PREFIX} {line}", file=sys.stderr)
            print(f"{PREFIX} {written}", file=sys.stderr)
    return EXIT_OK


class _CtrlC:
    """Ctrl-C (SIGINT) during the command: the first stops the run in order (no new lookup,
    the ones in flight cut off and not recorded, the state and the cache closed once the
    threads are done); a second ends the process at once, quietly. Ending at once loses
    nothing finished: each finished site is one committed transaction of the state file."""

    def __init__(self, state: Path) -> None:
        self.requested = False
        self._run: BackfillRun | None = None
        self._at_once = (
            f"\n{PREFIX} interrupted again: stopping at once; the progress is kept in "
            f"{state}: add --resume to go on\n"
        ).encode("utf-8", "replace")

    @contextmanager
    def handled(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread may set handlers (and only it gets SIGINT)
            return
        previous = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            yield
        finally:
            # Once interrupted, the process is ending: a later Ctrl-C is ignored, for Python's
            # default would be a KeyboardInterrupt traceback, or death by the signal while
            # the interpreter shuts down.
            signal.signal(signal.SIGINT, signal.SIG_IGN if self.requested else previous)

    def stops(self, run: BackfillRun) -> None:
        """Ctrl-C stops ``run`` from now on (at once, if it came already)."""
        self._run = run
        if self.requested:
            run.stop()

    def _on_sigint(self, signum: int, frame: object) -> None:
        # A signal handler: it sets flags and writes with os.write only (print could meet
        # the buffer the interrupted code is writing to).
        if self.requested:
            os.write(2, self._at_once)
            os._exit(EXIT_INTERRUPTED)
        self.requested = True
        if self._run is not None:
            self._run.stop()


def _silence_closed_pipes() -> None:
    """The reader of stdout (or stderr) has gone (``| head``): point both at /dev/null, so
    that nothing, not even the flush at exit, reports the broken pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # not a real file (a test's capture)
            os.dup2(devnull, stream.fileno())
    os.close(devnull)


def _write_outputs(args: argparse.Namespace, run: BackfillRun) -> str:
    output_fmt = args.output_format or (
        output_format_for(args.output) if args.output not in (None, "-") else "jsonl"
    )
    if args.output in (None, "-"):
        count = write_results(run.results(), sys.stdout, output_fmt)
        where = "stdout"
    else:
        count = save_results(run.results(), args.output, output_fmt)
        where = args.output
    said = f"wrote {counted(count, 'result')} to {where}"
    if args.wxr_out is not None:
        added = write_wxr(args.input, args.wxr_out, run.results())
        said += f", and {args.wxr_out} with {added} commentluv meta"
    return said


def summary_lines(summary: Summary) -> list[str]:
    """The summary, as the command prints it."""
    sites = (
        f"{counted(summary.comments, 'comment')}, {counted(summary.sites, 'site')}: "
        f"{summary.sites_looked_up} "
        f"looked up ({summary.sites_cached} answered from the cache)"
    )
    if summary.sites_resumed:
        sites += f", {summary.sites_resumed} done by the earlier run"
    lines = [f"{sites}; {summary.seconds:.1f} s, {summary.sites_per_second:.1f} sites/s"]
    for name, counts in (
        ("outcomes", summary.outcomes),
        ("errors", summary.errors),
        ("chosen", summary.chosen),
    ):
        if counts:
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            lines.append(f"{name}: " + ", ".join(f"{key} {count}" for key, count in ranked))
    return lines


# Arguments


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commentluv backfill",
        description=(
            "Backlinks for the comments of an old blog: each commenter's site is looked up "
            "once, and a comment that carries the original plugin's cl_data keeps that link."
        ),
        epilog=(
            "Exit status: 0 when every comment has its result (backlink or not), 1 when the "
            "input or the state file cannot be used, 2 on usage errors, 130 when interrupted "
            "(Ctrl-C; the progress is kept for --resume), 141 when the reader of the output "
            "went away."
        ),
    )
    parser.add_argument(
        "input",
        type=Path,
        metavar="INPUT",
        help="a WordPress (WXR), Blogger (classic or Takeout), Movable Type/TypePad, CSV or"
        " JSON Lines export",
    )
    parser.add_argument(
        "--format", choices=get_args(InputFormat), help="default: by its name and start"
    )
    for field in ("name", "url", "date", "id"):
        parser.add_argument(
            f"--{field}-column", metavar="COLUMN", help=f"CSV column of the {field}"
        )
    out = parser.add_argument_group("output")
    out.add_argument("-o", "--output", metavar="PATH", help="results file (default: stdout)")
    out.add_argument("--output-format", choices=("jsonl", "csv"), help="default: by extension")
    out.add_argument(
        "--wxr-out", type=Path, metavar="PATH", help="a copy of a WXR input with backlinks"
    )
    out.add_argument("--style", default="card", help=f"{', '.join(STYLES)} or a template")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary")
    choose = parser.add_argument_group("choosing the post")
    choose.add_argument(
        "--as-of",
        choices=("now", "comment-date"),
        default="now",
        help="comment-date: the newest post at or before each comment (default: the latest)",
    )
    choose.add_argument(
        "--fallback",
        choices=("none", "latest"),
        default="none",
        help="with --as-of comment-date, when no post is that old (default: none)",
    )
    choose.add_argument("--include-unapproved", action="store_true", help="pending and spam too")
    pace = parser.add_argument_group("pace and progress")
    pace.add_argument(
        "--jobs", type=positive_int, default=8, metavar="N", help="lookups at once (8)"
    )
    pace.add_argument(
        "--per-host",
        type=int,
        choices=range(1, MAX_PER_HOST + 1),
        default=MAX_PER_HOST,
        metavar="N",
        help=f"lookups at once on one host: 1 or {MAX_PER_HOST} (default)",
    )
    pace.add_argument(
        "--delay",
        type=non_negative_float,
        default=0.0,
        metavar="SECONDS",
        help="at least this long between lookups starting on one host (default 0)",
    )
    pace.add_argument(
        "--state", type=Path, metavar="PATH", help="progress file (default: by the cache)"
    )
    pace.add_argument("--resume", action="store_true", help="go on from an interrupted run")
    pace.add_argument(
        "--refresh",
        action="store_true",
        help="look every site up again, whatever the cache holds (remembered failures too)",
    )
    add_lookup_options(parser)
    return parser


def _checked(parser: argparse.ArgumentParser, args: argparse.Namespace) -> InputFormat:
    """The input format; exits with a usage error for inconsistent arguments."""
    if not args.input.is_file():
        parser.error(f"no such file: {args.input}")
    try:
        validate_style(args.style, "html")
        fmt: InputFormat = args.format or detect_format(args.input)
    except ValueError as exc:
        parser.error(str(exc))
    if args.wxr_out is not None and fmt != "wxr":
        parser.error("--wxr-out needs a WXR input")
    for option, target in (("--output", args.output), ("--wxr-out", args.wxr_out)):
        if target is None or target == "-":
            continue
        # Found now, not after hours of lookups.
        if not Path(target).resolve().parent.is_dir():
            parser.error(f"{option}: no such folder: {Path(target).parent}")
        if Path(target).resolve() == args.input.resolve():
            parser.error(f"{option} may not be the input file")
    if args.as_of == "now" and args.fallback != "none":
        parser.error("--fallback goes with --as-of comment-date")
    return fmt


def _default_state_path(args: argparse.Namespace) -> Path:
    # Beside the cache, one file per input file.
    base = (args.cache or default_cache_path()).parent
    key = hashlib.sha256(str(args.input.resolve()).encode("utf-8", "surrogateescape"))
    return base / "backfill" / f"{key.hexdigest()[:16]}.sqlite3"


def _source(args: argparse.Namespace, fmt: str) -> str:
    """What makes this input this input: a changed file is not resumed."""
    stat = args.input.stat()
    return json.dumps(
        {
            "path": str(args.input.resolve()),
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "format": fmt,
            "columns": [args.name_column, args.url_column, args.date_column, args.id_column],
        }
    )


def _say(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(f"{PREFIX} {message}", file=sys.stderr)


# Progress


class _Lines:
    """Progress as a plain line now and then (logs, pipes, no tqdm)."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.phase = "reading"

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        started = progress.phase != self.phase
        self.phase = progress.phase
        if progress.phase == "done" or not (started or now - self.last >= PROGRESS_EVERY):
            return
        self.last = now
        if progress.phase == "reading":
            line = f"read {counted(progress.comments, 'comment')}"
        elif started:
            left = progress.sites_total - progress.sites_done
            line = f"{left} of {counted(progress.sites_total, 'site')} to look up"
        else:
            line = (
                f"{progress.sites_done}/{counted(progress.sites_total, 'site')}, "
                f"{counted(progress.comments, 'comment')}, {progress.elapsed:.0f} s"
            )
        print(f"{PREFIX} {line}", file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


class _Bar:
    """Progress bars on a terminal: comments read, then sites done."""

    def __init__(self, tqdm: Any) -> None:
        self.tqdm = tqdm
        self.bar = tqdm(desc="reading", unit=" comments", file=sys.stderr, leave=False)
        self.reading = True

    def __call__(self, progress: Progress) -> None:
        if progress.phase == "done":
            return
        if self.reading and progress.phase == "looking_up":
            self.reading = False
            self.bar.close()
            self.bar = self.tqdm(
                desc="sites", total=progress.sites_total, unit=" sites", file=sys.stderr
            )
        value = progress.comments if self.reading else progress.sites_done
        self.bar.update(value - self.bar.n)  # tqdm limits how often it redraws

    def close(self) -> None:
        self.bar.close()


class _Silent:
    def __call__(self, progress: Progress) -> None:
        pass

    def close(self) -> None:
        pass


def _reporter(args: argparse.Namespace) -> _Lines | _Bar | _Silent:
    if args.quiet:
        return _Silent()
    if sys.stderr.isatty():
        try:
            from tqdm import tqdm  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError:
            pass  # the bar is an extra: commentluv[backfill]
        else:
            return _Bar(tqdm)
    return _Lines()
