"""The client's options, grouped and validated: :class:`Timeouts`, :class:`Limits`,
:class:`Freshness` and :class:`AddressPolicy`.

All are frozen dataclasses with the library's defaults, checked when built::

    CommentLuv(
        timeouts=Timeouts(total=2.5, connect=1.0),
        limits=Limits(max_feed_bytes=1024**2),
        freshness=Freshness(posts_ttl=600),
        policy=AddressPolicy(allowed_ports=frozenset({80, 443})),
    )

The client also takes the common ones one by one (``CommentLuv(timeout=2.5,
allow_private_hosts=True)``); :func:`merge` turns such shorthands into the groups.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, TypeVar

from ._net.deadline import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from ._net.policy import DEFAULT_ALLOWED_PORTS, AddressPolicy

__all__ = [
    "DEFAULT_ALLOWED_PORTS",
    "AddressPolicy",
    "Freshness",
    "Limits",
    "Shorthands",
    "Timeouts",
    "merge",
]

MiB = 1024 * 1024


@dataclass(frozen=True)
class Timeouts:
    """Time budgets in seconds.

    ``total`` bounds one whole lookup, across every request it makes (and the parsing of what
    they return); ``connect`` and ``read`` bound each socket operation inside it. Left at their
    defaults, ``connect`` and ``read`` shrink to ``total`` when it is shorter; set explicitly
    longer than ``total`` they are refused, since they could never apply.
    """

    total: float = 10.0
    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float = DEFAULT_READ_TIMEOUT

    def __post_init__(self) -> None:
        for name in ("total", "connect", "read"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} timeout must be positive, got {getattr(self, name)!r}")
        for name, default in (("connect", DEFAULT_CONNECT_TIMEOUT), ("read", DEFAULT_READ_TIMEOUT)):
            value = getattr(self, name)
            if value <= self.total:
                continue
            if value != default:
                raise ValueError(
                    f"{name} timeout {value:g}s is longer than the total {self.total:g}s"
                    " and could never apply: lower it or raise the total"
                )
            object.__setattr__(self, name, self.total)


@dataclass(frozen=True)
class Limits:
    """Caps on what one lookup may read and try, and on concurrency.

    ``max_page_bytes``/``max_feed_bytes``: decoded bytes read from a page (cut there) or a
    feed (refused beyond it). ``max_redirects``: hops per request (meta refreshes count).
    ``max_candidates``: feed URLs tried per page from its links, and as many guesses (a
    lookup sends 8 requests at most, whatever these say). ``max_workers``: threads of
    ``lookup_many``/``warm``.
    ``max_stored_posts``: posts kept per site in the cache.
    """

    max_page_bytes: int = 2 * MiB
    max_feed_bytes: int = 2 * MiB
    max_redirects: int = 5
    max_candidates: int = 5
    max_workers: int = 8
    max_stored_posts: int = 50

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            minimum = 0 if field.name == "max_redirects" else 1
            if not isinstance(value, int) or value < minimum:
                raise ValueError(f"{field.name} must be an integer of at least {minimum}")


@dataclass(frozen=True)
class Freshness:
    """How long cached answers are used, in seconds.

    Posts are fresh for ``posts_ttl`` (then revalidated with ETag/Last-Modified). For
    ``stale_ttl`` more seconds a lookup answers at once with the stale posts while one
    background refresh runs. The site→feed mapping is kept for ``feed_ttl``; a failure is
    remembered for ``error_ttl`` (and a failed refresh of cached posts is retried after it).
    """

    posts_ttl: float = 3600.0
    stale_ttl: float = 24 * 3600.0
    feed_ttl: float = 3 * 24 * 3600.0
    error_ttl: float = 300.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            if not getattr(self, field.name) >= 0:
                raise ValueError(f"{field.name} must be zero or more")

    @property
    def entry_ttl(self) -> float:
        """How long the cache keeps a site's entry: past its stale window, and for as long
        as the feed URL in it is trusted."""
        return max(self.feed_ttl, self.posts_ttl + self.stale_ttl)


_Group = TypeVar("_Group", Timeouts, Limits, Freshness, AddressPolicy)


class Shorthands(TypedDict, total=False):
    """The keyword shorthands :class:`~commentluv.CommentLuv` takes (see :data:`SHORTHANDS`)."""

    timeout: float
    connect_timeout: float
    read_timeout: float
    max_page_bytes: int
    max_feed_bytes: int
    max_redirects: int
    max_candidates: int
    max_workers: int
    posts_ttl: float
    stale_ttl: float
    feed_ttl: float
    error_ttl: float
    allow_private_hosts: bool
    allowed_ports: Iterable[int]
    allowed_networks: Iterable[str]


# The shorthands named after their group's field, but for the timeouts' three.
_FIELD_OF_SHORTHAND = {"timeout": "total", "connect_timeout": "connect", "read_timeout": "read"}


def _group_with(field: str) -> type[Any]:
    (group,) = (
        cls
        for cls in (Timeouts, Limits, Freshness, AddressPolicy)
        if field in cls.__dataclass_fields__
    )
    return group


# Shorthand keyword → (group, field), from the one list of shorthands above.
SHORTHANDS: Mapping[str, tuple[type[Any], str]] = {
    name: (_group_with(field), field)
    for name in Shorthands.__annotations__
    for field in [_FIELD_OF_SHORTHAND.get(name, name)]
}


def merge(group: _Group | None, cls: type[_Group], shorthands: Shorthands) -> _Group:
    """``group`` (or the defaults) with the shorthands that belong to ``cls`` applied.

    Giving a group and one of its shorthands together is refused: which should win?
    """
    mine = {
        name: value
        for name, value in shorthands.items()
        if value is not None and SHORTHANDS[name][0] is cls
    }
    if group is not None:
        if mine:
            names = ", ".join(mine)
            raise TypeError(f"pass {names} inside the {cls.__name__}(...) given, not beside it")
        return group
    return cls(**{SHORTHANDS[name][1]: _coerce(value) for name, value in mine.items()})


def _coerce(value: Any) -> Any:
    # allowed_ports and allowed_networks may be any iterables; the policy keeps frozensets.
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        return frozenset(value)
    return value
