"""Fakes the tests set: a wall clock, and a scripted web behind a MockTransport with a blog on it."""

from __future__ import annotations

from commentluv import CommentLuvError, FetchError, MockResponse, MockTransport, Request


class Clock:
    """A wall clock the test sets: ``now``, in Unix seconds."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeWeb:
    """A scripted web behind a MockTransport, registered like ``responses``: ``get(url, ...)``
    sets (or replaces) what ``url`` answers; an unregistered URL fails to connect."""

    def __init__(self) -> None:
        self.routes: dict[str, MockResponse | CommentLuvError] = {}
        self.transport = MockTransport(self._answer)

    def get(
        self,
        url: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str = "text/html; charset=utf-8",
        error: CommentLuvError | None = None,
    ) -> None:
        if error is not None:
            self.routes[url] = error
            return
        self.routes[url] = MockResponse(
            status=status, headers={"Content-Type": content_type, **(headers or {})}, body=body
        )

    @property
    def requests(self) -> list[Request]:
        return self.transport.requests

    def urls(self) -> list[str]:
        return [request.url for request in self.transport.requests]

    def _answer(self, request: Request) -> MockResponse:
        answer = self.routes.get(request.url)
        if answer is None:
            raise FetchError("the connection was refused", url=request.url)
        if isinstance(answer, CommentLuvError):
            raise answer
        return answer


class FakeBlog:
    """A blog on a FakeWeb: its home page links its feed, and :meth:`publish` sets the feed's
    posts (newest first), titled as given and linked at ``link(title)``."""

    def __init__(self, web: FakeWeb, site: str = "https://jaden.example/") -> None:
        self.web = web
        self.site = site
        web.get(
            site,
            f'<html><head><link rel="alternate" type="application/rss+xml" href="{site}feed/"></head></html>',
        )

    def link(self, title: str) -> str:
        return f"{self.site}2026/11/{title.lower().replace(' ', '-')}/"

    def publish(self, *titles: str) -> None:
        items = "".join(
            f"<item><title>{title}</title><link>{self.link(title)}</link>"
            f"<pubDate>{28 - i:02d} Nov 2026 10:00:00 +0000</pubDate></item>"
            for i, title in enumerate(titles)
        )
        self.web.get(
            f"{self.site}feed/",
            f'<rss version="2.0"><channel><title>Blog</title>{items}</channel></rss>',
            content_type="application/rss+xml",
        )
