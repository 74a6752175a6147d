"""Where a page sends its reader on (pure): a ``<meta http-equiv="refresh">`` target, and the
same-site navigation links that name a blog ("/blog/", "Journal", "Artículos", "ブログ").
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, unquote, urljoin

from .._shared.urls import same_site
from .rank import PageHome, looks_like_feed, path_segments
from .tags import Anchor, PageTag, attribute

__all__ = ["BLOG_WORDS", "blog_pages", "meta_refresh", "page_key"]

# A longer delay is a page that reloads itself now and then, not a stub that moves on.
_MAX_REFRESH_SECONDS = 10
# The delay's whole seconds, then any fraction (ignored, as browsers do).
_REFRESH_DELAY_RE = re.compile(r"(\d+)(?:\.[\d.]*)?")
# Words that name a blog, as a link's last path segment ("/blog/", "/fr/actualites/") or as a
# word of its short text ("Blog", "My Journal", "Notizen"), in a few major languages.
BLOG_WORDS = frozenset(
    {
        "blog", "blogs", "weblog", "journal", "writing", "writings", "posts", "articles",
        "news", "notes", "essays", "diary",
        "artículos", "articulos", "noticias", "entradas", "publicaciones",  # es
        "artigos", "notícias",  # pt
        "notizen", "artikel", "beiträge", "beitraege", "nachrichten", "neuigkeiten",  # de
        "actualités", "actualites", "billets", "carnet",  # fr
        "notizie", "articoli",  # it
        "berichten", "nieuws", "artikelen",  # nl
        "блог", "статьи", "новости", "записи", "статті", "новини",  # ru, uk
        "ブログ", "記事", "日記", "博客", "文章", "新闻", "블로그",  # ja, zh, ko
    }
)  # fmt: skip
_MAX_LABEL_WORDS = 3  # "Read the news about our products" is not a menu entry
_WORD_RE = re.compile(r"\w+")


def meta_refresh(metas: list[PageTag], base: str | None) -> str | None:
    """The URL the first ``<meta http-equiv="refresh">`` moves on to within 10 seconds,
    resolved against ``base`` but not checked (a refused one is the caller's to refuse);
    None when there is none or it only reloads the page."""
    for tag in metas:
        if attribute(tag, "http-equiv").strip().lower() != "refresh":
            continue
        target = _refresh_target(attribute(tag, "content"))
        if target is None:
            return None
        try:
            return urljoin(base or "", target)
        except ValueError:  # a malformed address: let the caller refuse it as written
            return target
    return None


def _refresh_target(content: str) -> str | None:
    """``"0; URL='/weblog/'"`` → ``"/weblog/"`` (the HTML standard's parse, by hand)."""
    content = content.strip()
    delay = _REFRESH_DELAY_RE.match(content)
    if delay is None or len(delay.group(1)) > 2 or int(delay.group(1)) > _MAX_REFRESH_SECONDS:
        return None
    rest = content[delay.end() :].lstrip()
    if rest[:1] in (";", ","):
        rest = rest[1:].lstrip()
    if rest[:3].lower() == "url" and rest[3:].lstrip().startswith("="):
        rest = rest[3:].lstrip()[1:].lstrip()
    if rest[:1] in ("'", '"'):
        quote, rest = rest[0], rest[1:]
        rest = rest.split(quote, 1)[0]
    return rest.strip() or None


def blog_pages(anchors: list[Anchor], page: SplitResult | None, home: PageHome) -> tuple[str, ...]:
    """Same-site ``<a>`` links that name a blog by path or text, in that order, each once,
    without the page itself and feed-like links (those are feed candidates). ``anchors``:
    the page's ``<a>`` whose href resolved to an http(s) URL; ``home``: the page's, as
    ranking reads it."""
    if page is None or not anchors:
        return ()
    by_path: list[str] = []
    by_label: list[str] = []
    seen = {page_key(page.geturl())}
    for tag, url, parts in anchors:
        if page_key(url) in seen or looks_like_feed(parts):
            continue
        if not same_site(home.host_of(parts), home.host):
            continue
        segments = path_segments(unquote(parts.path).lower())
        if segments and segments[-1] in BLOG_WORDS:
            by_path.append(url)
        elif _names_a_blog(tag.text):
            by_label.append(url)
        else:
            continue
        seen.add(page_key(url))
    return (*by_path, *by_label)


def _names_a_blog(label: str) -> bool:
    words = _WORD_RE.findall(label[:200].casefold())
    return 0 < len(words) <= _MAX_LABEL_WORDS and any(word in BLOG_WORDS for word in words)


def page_key(url: str) -> str:
    """One key for a URL with and without its trailing slash (one redirects to the other)."""
    return url.rstrip("/")
