"""What the byte-storing backends share: the JSON codec and the fail-safe wrapper."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["FailSafe", "dumps", "loads"]

logger = logging.getLogger("commentluv")

T = TypeVar("T")


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(data: bytes | str | None) -> Any | None:
    """The value stored by :func:`dumps`; None (a miss) for anything that is not JSON."""
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:  # also UnicodeDecodeError
        logger.warning("ignoring an undecodable cache value")
        return None


class FailSafe:
    """Runs a backend's operations so that its failures become misses, never errors.

    A failure is logged as a warning and the backend is left alone for ``retry_after``
    seconds: a dead server or a broken file is not asked again on every lookup.
    """

    def __init__(
        self,
        name: str,
        errors: tuple[type[BaseException], ...],
        *,
        retry_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.errors = errors
        self.retry_after = retry_after
        self._clock = clock
        self._down_until = float("-inf")

    @property
    def down(self) -> bool:
        """True while the backend is being left alone after a failure."""
        return self._clock() < self._down_until

    def run(self, action: Callable[[], T], fallback: T) -> T:
        """``action()``, or ``fallback`` when it fails or the backend is down."""
        if self.down:
            return fallback
        try:
            return action()
        except self.errors as exc:
            self._down_until = self._clock() + self.retry_after
            logger.warning(
                "%s cache unavailable (%s: %s); going without it for %gs",
                self.name,
                type(exc).__name__,
                exc,
                self.retry_after,
            )
            return fallback
