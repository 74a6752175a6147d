"""Guarded GET requests over a :class:`~commentluv._net.transport.Transport`.

:class:`Fetcher` follows redirects itself, checking the address policy on every hop, turns
error statuses into typed errors, and reads bodies under a cap on decoded bytes and the
lookup's deadline, with an optional early stop. It opens no socket itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import NamedTuple

from .._shared.urls import safe_http_url
from ..errors import (
    BlockedURL,
    ChallengePage,
    HTTPStatusError,
    ResponseTooLarge,
    TooManyRedirects,
)
from .deadline import Deadline
from .policy import AddressPolicy
from .transport import Request, Transport, TransportResponse
from .wire import WIRE_MARGIN

__all__ = ["NOT_FOUND_STATUSES", "REDIRECT_STATUSES", "Fetcher", "Response", "StopReading"]

logger = logging.getLogger("commentluv")

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_VALIDATORS = frozenset({"If-None-Match", "If-Modified-Since"})
NOT_FOUND_STATUSES = frozenset({404, 410})


class Response(NamedTuple):
    """A fetched document: final URL after redirects, status, headers (lower-case keys) and
    the decoded body (empty for 304; cut short when ``complete`` is False). ``redirects``
    are the URLs that redirected here, so ``len(redirects) + 1`` requests were sent.
    (Immutable as a tuple: one is built per request, a frozen dataclass cost more.)"""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    complete: bool = True
    redirects: tuple[str, ...] = ()


StopReading = Callable[[str, bytearray, Mapping[str, str]], bool]
"""Called after each chunk with the final URL, the body read so far (do not keep the
buffer) and the response headers; True stops reading."""


class Fetcher:
    """Sends guarded GET requests through ``transport``. Thread-safe; one per client."""

    def __init__(
        self,
        transport: Transport,
        *,
        policy: AddressPolicy,
        user_agent: str,
        max_redirects: int = 5,
    ) -> None:
        self.transport = transport
        self.policy = policy
        self.user_agent = user_agent
        self.max_redirects = max_redirects

    def close(self) -> None:
        self.transport.close()

    def get(
        self,
        url: str,
        *,
        deadline: Deadline,
        max_bytes: int,
        accept: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        truncate: bool = False,
        stop: StopReading | None = None,
        read_error_body: bool = False,
        on_send: Callable[[str], None] | None = None,
    ) -> Response:
        """GET ``url`` following up to ``max_redirects`` checked redirects.

        Raises :class:`BlockedURL`, :class:`FetchError` and its subclasses; error statuses
        (400 and up) raise :class:`HTTPStatusError`, except 404 and 410 with
        ``read_error_body``: those come back as a response with their body (an error page
        may still link the site's feeds). With ``truncate`` a body over ``max_bytes`` is cut
        (``complete=False``) instead of refused; ``stop`` may end the read early.
        ``accept`` is the Accept field (none is sent without it). ``etag``/``last_modified``
        make the request conditional (304 answers come back with an empty body).
        ``on_send`` is called with each URL just before it is requested (redirect hops
        too), and may raise to send nothing more.
        """
        headers = {"User-Agent": self.user_agent}
        if accept:  # none means any type (RFC 9110): "*/*" would say nothing
            headers["Accept"] = accept
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        hops: list[str] = []
        read_limit = max_bytes + WIRE_MARGIN
        while True:
            self.policy.check_url(url)
            deadline.check(url)
            if on_send is not None:
                on_send(url)
            with self._send(Request(url, headers, read_limit), deadline) as response:
                location = response.headers.get("location")
                if response.status in REDIRECT_STATUSES and location:
                    hops.append(url)
                    url = self._next_hop(url, location, hops)
                    # Validators belong to the URL they were stored for, never to another.
                    headers = {k: v for k, v in headers.items() if k not in _VALIDATORS}
                    continue
                if not (read_error_body and response.status in NOT_FOUND_STATUSES):
                    _raise_for_status(response, url)
                body, complete = (
                    (b"", True)
                    if response.status == 304
                    else _read_body(response, url, deadline, max_bytes, truncate, stop)
                )
                return Response(
                    url=url,
                    status=response.status,
                    headers=response.headers,
                    body=body,
                    complete=complete,
                    redirects=tuple(hops),
                )

    def _send(self, request: Request, deadline: Deadline) -> TransportResponse:
        try:
            return self.transport.send(request, policy=self.policy, deadline=deadline)
        except BlockedURL as exc:
            # Raised at connect time, where the URL is not known.
            exc.url = exc.url or request.url
            raise

    def _next_hop(self, url: str, location: str, hops: list[str]) -> str:
        next_url = safe_http_url(location, base=url)
        if next_url is None:
            raise BlockedURL(f"redirect to a refused URL: {location[:200]}", url=url)
        if next_url in hops:
            raise TooManyRedirects("redirect loop", url=url)
        if len(hops) > self.max_redirects:
            raise TooManyRedirects(f"more than {self.max_redirects} redirects", url=url)
        return next_url


def _raise_for_status(response: TransportResponse, url: str) -> None:
    status = response.status
    if status < 400:
        return
    if status in (403, 429, 503) and "cf-mitigated" in response.headers:
        raise ChallengePage(f"HTTP {status}: an anti-bot challenge page", url=url, status=status)
    message = f"HTTP {status} {response.reason}".strip()
    raise HTTPStatusError.for_status(message, url=url, status=status)


def _read_body(
    response: TransportResponse,
    url: str,
    deadline: Deadline,
    max_bytes: int,
    truncate: bool,
    stop: StopReading | None,
) -> tuple[bytes, bool]:
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(
            f"body of {declared} bytes is over the {max_bytes}-byte cap", url=url
        )
    body = bytearray()
    try:
        for chunk in response.iter_chunks():
            body += chunk
            if len(body) > max_bytes:
                raise ResponseTooLarge(f"body is over the {max_bytes}-byte cap", url=url)
            if stop is not None and stop(url, body, response.headers):
                return bytes(body), False
            deadline.check(url)
    except ResponseTooLarge:  # decoded bytes, or (transport) bytes off the wire
        if not truncate:
            raise
        return bytes(body[:max_bytes]), False
    return bytes(body), True
