"""The comment-form service: a WSGI application around a :class:`~commentluv.CommentLuv`.

    GET /recent?url=...&limit=10     the site's recent posts and a choice token (the widget)
    GET /backlink?url=...&name=...   the formatted line for the latest post
    POST /choose (url, link, token)  a chosen post, kept for the comment system (web.choices)
    GET /commentluv.js, /commentluv.css   the widget and its optional stylesheet
    GET /healthz, /readyz            the process answers; its cache answers too (else 503)
    GET /metrics                     Prometheus metrics, when asked for (metrics=True)

It fetches URLs for strangers, so every API request is rate-limited per client address, cold
lookups (sites not in the cache) are capped, and shared fairly between clients, so that a
flood of new URLs never holds up cached answers, and nothing but titles, links and dates is
returned. The client's address policy guards every fetch. Answers are JSON, errors too
(never a traceback).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ..cache import BucketCache, Cache
from ..errors import CommentLuvError
from ..formatting import FORMATS, STYLES, as_format, format_backlink, validate_style
from ..models import LookupResult, Post
from ..tokens import MAX_CHOICES, ChoiceSigner
from .choices import DEFAULT_CHOICE_TTL, Choice, ChoiceRegistry
from .health import Readiness
from .metrics import CacheOutcome, Metrics
from .ratelimit import ClientAddresses, RateLimit, RateLimiter, SharedRateLimiter
from .slots import ColdSlots

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from ..client import CommentLuv

__all__ = ["DEFAULT_RATE_LIMIT", "STATUS_BY_KIND", "CommentFormApp", "make_app"]

logger = logging.getLogger("commentluv")

DEFAULT_RATE_LIMIT = RateLimit()
# What a lookup that goes to the network costs of its client's bucket, in requests: it costs
# the service (and the site) far more than an answer from the cache.
COLD_LOOKUP_COST = 4

# A lookup error's kind → status: the URL given is at fault (400), the site was too slow
# (504); any other kind means the site's answer was unusable (502).
STATUS_BY_KIND: Mapping[str, int] = {"invalid_url": 400, "blocked": 400, "timeout": 504}

_ALLOW = "GET, HEAD, OPTIONS"
_MAX_FORM_BYTES = 4096
_MAX_NAME = 200
_STATIC = {
    "/commentluv.js": ("commentluv.js", "text/javascript; charset=utf-8"),
    "/commentluv.css": ("commentluv.css", "text/css; charset=utf-8"),
}
# A token is signed at whole minutes, so repeated calls get the same body (and ETag).
_TOKEN_STEP = 60


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    def with_headers(self, *headers: tuple[str, str]) -> _Reply:
        return replace(self, headers=self.headers + headers)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


class _BadRequest(Exception):
    pass


def make_app(
    client: CommentLuv,
    *,
    secret: str | bytes | None = None,
    allowed_origins: Iterable[str] = (),
    rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
    trusted_proxies: Iterable[str] = (),
    max_cold_lookups: int = 4,
    token_ttl: float = 3600.0,
    style: str = "card",
    choice_ttl: float = DEFAULT_CHOICE_TTL,
    metrics: bool = False,
) -> CommentFormApp:
    """The comment-form service as a WSGI application (mount it anywhere: its paths are read
    from ``PATH_INFO``).

    ``secret`` signs the choice tokens; it defaults to the client's ``choice_secret``, one of
    the two is required, and two different ones are refused (the save side checks tokens
    with the client's). ``allowed_origins`` are the sites whose pages may call it from
    another origin (``"https://blog.example"``, or ``"*"``). ``rate_limit`` applies per client
    address (None: no limit), across every process sharing the client's cache when that
    cache keeps buckets (a RedisCache does); ``trusted_proxies`` (addresses or networks)
    are the reverse proxies whose ``X-Forwarded-For`` is believed, none by default. At most
    ``max_cold_lookups`` lookups that must go to the network run at once; more answer 503.
    One client holds at most half of them (at least one), and each costs it
    :data:`COLD_LOOKUP_COST` requests of its rate limit. A token is valid ``token_ttl``
    seconds after its answer stops being fresh. ``style`` is the blog's backlink style (a
    name in ``STYLES`` or a template): /recent gives it to the widget, so the live line looks
    like the saved one. A choice posted to /choose is kept in the client's cache for
    ``choice_ttl`` seconds (:mod:`.choices`). ``metrics`` serves ``GET /metrics`` for
    Prometheus (``pip install 'commentluv[metrics]'``).
    """
    validate_style(style)
    signer = ChoiceSigner(secret) if secret is not None else client.choice_signer
    if signer is None:
        raise ValueError("the service needs a secret: CommentLuv(choice_secret=...) or secret=")
    if client.choice_signer is not None and not client.choice_signer.same_key(signer):
        raise ValueError("secret= differs from the client's choice_secret: tokens would not verify")
    if not token_ttl > 0:
        raise ValueError("token_ttl must be positive")
    return CommentFormApp(
        client,
        signer,
        origins=frozenset(origin.strip().rstrip("/").lower() for origin in allowed_origins),
        limiter=_limiter(rate_limit, client.cache),
        addresses=ClientAddresses(trusted_proxies),
        cold=ColdSlots(max_cold_lookups),
        token_ttl=token_ttl,
        line=STYLES.get(style, style),
        choices=ChoiceRegistry(client.cache, choice_ttl),
        metrics=metrics,
    )


def _limiter(limit: RateLimit | None, cache: Cache) -> RateLimiter | None:
    if limit is None:
        return None
    # A cache that several processes share (Redis) holds the buckets too: one limit in all.
    return SharedRateLimiter(limit, cache) if isinstance(cache, BucketCache) else RateLimiter(limit)


class CommentFormApp:
    """The WSGI application :func:`make_app` builds (build it there)."""

    def __init__(
        self,
        client: CommentLuv,
        signer: ChoiceSigner,
        *,
        origins: frozenset[str],
        limiter: RateLimiter | None,
        addresses: ClientAddresses,
        cold: ColdSlots,
        token_ttl: float,
        line: str,
        choices: ChoiceRegistry,
        metrics: bool = False,
    ) -> None:
        self._client = client
        self._signer = signer
        self._origins = origins
        self._limiter = limiter
        self._addresses = addresses
        self._cold = cold
        self._token_ttl = token_ttl
        self._line = line
        self._choices = choices
        # The client's clock: cache freshness and token expiry are judged by it.
        self._clock = client.clock
        self._routes: dict[str, Callable[[WSGIEnvironment], _Reply]] = {
            "/recent": self._recent,
            "/backlink": self._backlink,
            "/choose": self._choose,
        }
        self._add_health_routes()
        self._metrics: Metrics | None = None
        if metrics:
            self._metrics = Metrics(cold_running=lambda: cold.running)
            self._routes["/metrics"] = self._scrape
        for path, (name, content_type) in _STATIC.items():
            body = resources.files(__package__).joinpath("static", name).read_bytes()
            self._routes[path] = _constant(_static_reply(body, content_type))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        started = time.perf_counter()
        try:
            reply = self._handle(environ)
        except Exception:
            logger.exception("comment-form service: unexpected error")
            reply = _error(500, "internal_error", "the service failed (the error is logged)")
        if self._metrics is not None:
            path = environ.get("PATH_INFO") or "/"
            endpoint = path if path in self._routes else "other"  # never a stranger's path
            self._metrics.request(endpoint, reply.status, time.perf_counter() - started)
        headers = [*reply.headers, ("X-Content-Type-Options", "nosniff")]
        if reply.status not in (204, 304):
            headers.append(("Content-Length", str(len(reply.body))))
        start_response(f"{reply.status} {HTTPStatus(reply.status).phrase}", headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else reply.body]

    def _add_health_routes(self) -> None:
        """/healthz (the process answers) and /readyz (its cache does too): never rate-limited,
        never logged, for load balancers and orchestrators."""
        readiness = Readiness(self._client.cache)

        def ready(environ: WSGIEnvironment) -> _Reply:
            problem = readiness.problem()
            return _error(503, "not_ready", problem) if problem else _HEALTHY

        self._routes["/healthz"] = _constant(_HEALTHY)
        self._routes["/readyz"] = ready

    def _scrape(self, environ: WSGIEnvironment) -> _Reply:
        assert self._metrics is not None  # the route exists only with metrics
        body, content_type = self._metrics.exposition(str(environ.get("HTTP_ACCEPT") or ""))
        return _Reply(200, body, (("Content-Type", content_type), ("Cache-Control", "no-store")))

    def paused_for(self, address: str) -> float:
        """How long a server may leave connections from the peer ``address`` unread: the
        seconds until that client may make a request again (0.0 when it may now, and always
        for a trusted proxy, which speaks for many clients). Not reading an over-limit
        client's requests saves even parsing them."""
        if self._limiter is None:
            return 0.0
        key = self.peer_key(address)
        return 0.0 if key is None else self._limiter.wait(key)

    def peer_key(self, address: str) -> str | None:
        """The client a connection from the peer ``address`` counts as, or None for a trusted
        proxy (it speaks for many clients): a server caps connections by it."""
        return self._addresses.peer_key(address)

    def _handle(self, environ: WSGIEnvironment) -> _Reply:
        route = self._routes.get(environ.get("PATH_INFO") or "/")
        if route is None:
            return _error(404, "unknown_endpoint", "no such endpoint: use /recent or /backlink")
        cors = self._cors(environ)
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "OPTIONS":
            preflight = (
                ("Access-Control-Allow-Methods", _ALLOW),
                ("Access-Control-Max-Age", "86400"),
            )
            allowed = any(name == "Access-Control-Allow-Origin" for name, _ in cors)
            return _Reply(204, headers=(("Allow", _ALLOW), *cors, *(preflight if allowed else ())))
        if method not in ("GET", "HEAD") and (method, route) != ("POST", self._choose):
            reply = _error(405, "method_not_allowed", f"use {_ALLOW}")
            return reply.with_headers(("Allow", _ALLOW), *cors)
        try:
            reply = route(environ)
        except _BadRequest as exc:
            reply = _error(400, "bad_request", str(exc))
        return _conditional(reply.with_headers(*cors), environ)

    def _cors(self, environ: WSGIEnvironment) -> tuple[tuple[str, str], ...]:
        if not self._origins:
            return ()
        origin = str(environ.get("HTTP_ORIGIN") or "")
        if "*" in self._origins:
            return (("Access-Control-Allow-Origin", "*"),)
        if origin.rstrip("/").lower() in self._origins:
            return (("Access-Control-Allow-Origin", origin), ("Vary", "Origin"))
        return (("Vary", "Origin"),)

    # The API

    def _recent(self, environ: WSGIEnvironment) -> _Reply:
        params = self._admit(environ)
        if isinstance(params, _Reply):
            return params
        url = _param(params, "url", required=True)
        limit = _limit(params)
        result = self._lookup(environ, url, limit)
        if isinstance(result, _Reply):
            return result
        if result.error is not None:
            return _lookup_error(result.error)
        # Only posts with a link can be chosen (and signed).
        posts = [post for post in result.posts if post.link]
        if not posts:
            return _error(502, "no_posts", "none of the site's recent posts has a usable link")
        now = self._clock()
        site = posts[0].site_url
        token = self._signer.issue(
            site, [post.link or "" for post in posts], self._expiry(result, now)
        )
        payload = {
            "ok": True,
            "site": site,
            "posts": [_post_json(post) for post in posts],
            "choice_token": token,
            "line": self._line,
        }
        return _ok(payload, result, now)

    def _backlink(self, environ: WSGIEnvironment) -> _Reply:
        params = self._admit(environ)
        if isinstance(params, _Reply):
            return params
        url = _param(params, "url", required=True)
        name = _param(params, "name")
        # Named styles only: a template's literal text is kept as markup, and strangers
        # must not write markup into a page.
        style = _one_of(params, "style", tuple(STYLES))
        fmt = as_format(_one_of(params, "format", FORMATS))
        result = self._lookup(environ, url, 1)
        if isinstance(result, _Reply):
            return result
        if result.error is not None:
            return _lookup_error(result.error)
        post = result.posts[0]
        payload = {
            "ok": True,
            "site": post.site_url,
            "backlink": format_backlink(post, name, style=style, fmt=fmt),
            "post": _post_json(post),
        }
        return _ok(payload, result, self._clock())

    def _choose(self, environ: WSGIEnvironment) -> _Reply:
        if environ.get("REQUEST_METHOD") != "POST":
            return _error(405, "method_not_allowed", "POST the choice").with_headers(
                ("Allow", "POST")
            )
        params = self._admit(environ)
        if isinstance(params, _Reply):
            return params
        choice = Choice(_param(params, "link", required=True), _param(params, "token"))
        url = _param(params, "url", required=True)
        reason = self._choices.register(self._signer, url, choice, now=self._clock())
        if reason != "ok":
            return _error(400, "choice_refused", f"the choice was refused: {reason}")
        return _json(200, {"ok": True}, "no-store")

    def _admit(self, environ: WSGIEnvironment) -> dict[str, list[str]] | _Reply:
        """The query's (or a POST's form) parameters, or the 429 for a client over its rate
        limit."""
        if self._limiter is not None:
            wait = self._limiter.take(self._addresses.key(environ))
            if wait > 0:
                return self._rate_limited(wait)
        # WSGI hands the query over as latin-1; its bytes are UTF-8 in practice.
        query = str(environ.get("QUERY_STRING") or "").encode("latin-1", "replace")
        if environ.get("REQUEST_METHOD") == "POST":
            query = _form_body(environ)
        try:
            return parse_qs(query.decode("utf-8", "replace"), max_num_fields=20)
        except ValueError:
            raise _BadRequest("too many query parameters") from None

    def _lookup(self, environ: WSGIEnvironment, url: str, limit: int) -> LookupResult | _Reply:
        """The cache's answer at once; else a lookup in one of the client's fair share of the
        cold slots, paid for from its bucket; or 503 (no slot) or 429 (no money)."""
        cached = self._client.lookup_if_cached(url, limit)
        if cached is None:
            self._count_cache("miss")
            result = self._cold_lookup(self._addresses.key(environ), url, limit)
        else:
            if cached.cached:
                fresh = cached.fresh_until is None or cached.fresh_until > self._clock()
                self._count_cache("fresh" if fresh else "stale")
            result = cached
        if self._metrics is not None and isinstance(result, LookupResult) and result.error:
            self._metrics.lookup_failed(result.error.kind)
        return result

    def _cold_lookup(self, key: str, url: str, limit: int) -> LookupResult | _Reply:
        if not self._cold.take(key):
            logger.info("comment-form service: no cold lookup slot for this client")
            if self._metrics is not None:
                self._metrics.cold_refused()
            reply = _error(503, "busy", "too many new sites are being looked up: try again shortly")
            return reply.with_headers(("Retry-After", "2"))
        try:
            # Admission paid for one request; a refusal above costs no more than that.
            wait = self._limiter.take(key, COLD_LOOKUP_COST - 1) if self._limiter else 0.0
            return self._rate_limited(wait) if wait > 0 else self._client.lookup(url, limit)
        finally:
            self._cold.give_back(key)

    def _count_cache(self, outcome: CacheOutcome) -> None:
        if self._metrics is not None:
            self._metrics.cache_answer(outcome)

    def _rate_limited(self, wait: float) -> _Reply:
        if self._metrics is not None:
            self._metrics.rate_limited()
        reply = _error(429, "rate_limited", "too many requests: try again shortly")
        return reply.with_headers(("Retry-After", str(math.ceil(wait))))

    def _expiry(self, result: LookupResult, now: float) -> int:
        # Valid for token_ttl after the answer stops being fresh, so a browser's cached copy
        # always carries a usable token.
        start = max(result.fresh_until or now, now)
        return math.ceil(start / _TOKEN_STEP) * _TOKEN_STEP + math.ceil(self._token_ttl)


def _form_body(environ: WSGIEnvironment) -> bytes:
    length = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not length.isdigit() or int(length) > _MAX_FORM_BYTES:
        raise _BadRequest(f"send a form of at most {_MAX_FORM_BYTES} bytes, with its length")
    body: bytes = environ["wsgi.input"].read(int(length))
    return body


def _constant(reply: _Reply) -> Callable[[WSGIEnvironment], _Reply]:
    return lambda environ: reply


def _static_reply(body: bytes, content_type: str) -> _Reply:
    return _Reply(
        200,
        body,
        (
            ("Content-Type", content_type),
            ("Cache-Control", "public, max-age=3600"),
            ("ETag", _etag(body)),
        ),
    )


def _param(params: dict[str, list[str]], name: str, *, required: bool = False) -> str:
    value = params.get(name, [""])[0].strip()
    if required and not value:
        raise _BadRequest(f"the {name} parameter is required")
    if len(value) > 2048 or (name == "name" and len(value) > _MAX_NAME):
        raise _BadRequest(f"the {name} parameter is too long")
    return value


def _limit(params: dict[str, list[str]]) -> int:
    text = params.get("limit", [str(MAX_CHOICES)])[0].strip()
    if not (text.isdigit() and 1 <= int(text) <= MAX_CHOICES):
        raise _BadRequest(f"limit must be a whole number from 1 to {MAX_CHOICES}")
    return int(text)


def _one_of(params: dict[str, list[str]], name: str, allowed: tuple[str, ...]) -> str:
    value = params.get(name, [allowed[0]])[0].strip() or allowed[0]
    if value not in allowed:
        raise _BadRequest(f"{name} must be one of {', '.join(allowed)}")
    return value


def _post_json(post: Post) -> dict[str, Any]:
    # Titles, links and dates only: never a post's body.
    return {
        "title": post.title,
        "link": post.link,
        "published": post.published.isoformat() if post.published else None,
    }


def _json(status: int, payload: Mapping[str, Any], cache_control: str) -> _Reply:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = (
        ("Content-Type", "application/json; charset=utf-8"),
        ("Cache-Control", cache_control),
    )
    return _Reply(status, body, headers)


def _ok(payload: Mapping[str, Any], result: LookupResult, now: float) -> _Reply:
    """A success, cacheable for as long as the client's cache calls it fresh."""
    fresh_for = int((result.fresh_until or now) - now)
    cache_control = f"public, max-age={fresh_for}" if fresh_for > 0 else "no-cache"
    reply = _json(200, payload, cache_control)
    return reply.with_headers(("ETag", _etag(reply.body)))


def _error(status: int, kind: str, message: str) -> _Reply:
    return _json(status, {"ok": False, "error": {"kind": kind, "message": message}}, "no-store")


_HEALTHY = _json(200, {"ok": True}, "no-store")


def _lookup_error(error: CommentLuvError) -> _Reply:
    status = STATUS_BY_KIND.get(error.kind, 502)
    return _json(status, {"ok": False, "error": error.to_dict()}, "no-store")


def _etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _conditional(reply: _Reply, environ: WSGIEnvironment) -> _Reply:
    """A 304 when the request's If-None-Match names the reply's ETag."""
    etag = reply.header("ETag")
    wanted = str(environ.get("HTTP_IF_NONE_MATCH") or "")
    if reply.status != 200 or etag is None or not wanted:
        return reply
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    if etag not in tags and "*" not in tags:
        return reply
    kept = tuple((name, value) for name, value in reply.headers if name != "Content-Type")
    return _Reply(304, b"", kept)
