"""One home for what may be shown of a stranger's string: the characters that must never reach
a terminal, a log or an error message, and the log filter that keeps them out of every record
the ``commentluv`` logger writes."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping

__all__ = ["MAX_MESSAGE_LENGTH", "UNPRINTABLE", "PrintableRecords", "escaped", "printable"]

# C0 and C1 controls, DEL, the line and paragraph separators, and the bidi and zero-width
# characters that can disguise text: a link from a form, a server's reason phrase or a
# Location header must not start a line, drive a terminal, or read backwards.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")

MAX_MESSAGE_LENGTH = 300


def printable(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """``text`` on one line without unprintable characters, at most ``limit`` long."""
    text = UNPRINTABLE.sub("", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escaped(text: str) -> str:
    """``text`` on one line, each unprintable character written as its escape (``\\x1b``):
    what an operator reading a log needs to see of it."""
    return UNPRINTABLE.sub(lambda match: ascii(match.group())[1:-1], text)


class PrintableRecords(logging.Filter):
    """Makes every record one printable line (its traceback aside): each value in it shows
    escaped, and in a traceback the exception's own text (the one part of it a stranger may
    write) is escaped too. The message keeps its template (log tools group by it). Installed
    on the ``commentluv`` logger, so every call site of the library passes through it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = escaped(record.msg) if isinstance(record.msg, str) else _Escaped(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: _shown(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_shown(value) for value in record.args)
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = _escaped_traceback(record.exc_info)
        return True


class _Escaped:
    """A value shown through :func:`escaped`, whether by ``%s`` or ``%r``."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return escaped(str(self.value))

    def __repr__(self) -> str:
        return escaped(repr(self.value))


def _shown(value: object) -> object:
    # %d and %g need the number itself; a number prints nothing harmful.
    return value if isinstance(value, (int, float)) else _Escaped(value)


def _escaped_traceback(exc_info: logging._SysExcInfoType) -> str:
    parts = []
    for part in traceback.format_exception(*exc_info):
        # The traceback's header, frames and chaining lines are our code's text; anything
        # else is an exception's "Kind: message" line, whose message may be anyone's.
        if part.startswith(("Traceback ", "  File ", "\n")):
            parts.append(part)
        else:
            parts.append(escaped(part.rstrip("\n")) + "\n")
    return "".join(parts).rstrip("\n")
