"""Calling a WSGI app directly, as a server would for one request."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults


@dataclass
class WSGIAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def call_wsgi(
    app: Callable[..., Iterable[bytes]],
    path: str = "/recent",
    query: dict[str, str] | str = "",
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    addr: str = "198.51.100.7",
) -> WSGIAnswer:
    """Call a WSGI app directly, as a server would for one request from ``addr``."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query if isinstance(query, str) else urlencode(query),
        "REMOTE_ADDR": addr,
    }
    setup_testing_defaults(environ)
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    started: list[Any] = []
    body = b"".join(
        app(environ, lambda status, headers, exc_info=None: started.extend([status, headers]))
    )
    status, header_list = started
    names = [name.lower() for name, _ in header_list]
    assert len(names) == len(set(names)), f"repeated headers: {header_list}"
    return WSGIAnswer(int(status.split()[0]), {k.lower(): v for k, v in header_list}, body)
