"""Feed discovery (pure): recognise a feed body, and find a site's feeds in its HTML.

Nothing here touches the network. The HTTP layer fetches the commenter's page, calls
:func:`html_head_end` on the bytes received so far and :func:`find_feed_links` once the head (or
the page) is in, then tries the ranked candidates and :func:`guess_feed_urls`, accepting a
response only when :func:`sniff_feed` says its body is a feed.

One job per module: :mod:`.sniff` (is this body a feed), :mod:`.tags` (the bounded tag
reading of a page), :mod:`.links` (a page's feed links, with page decoding by
:mod:`commentluv._feeds.decode`), :mod:`.navigation` (meta refreshes and links that name a
blog), :mod:`.rank` (ranking, comments and off-topic feeds, one candidate per feed),
:mod:`.platforms` (the blogging platform and its usual feed URLs) and :mod:`.finder` (the
search, within a request budget, over fetches the caller makes).
Importing this package imports nothing heavy (lxml only once a page is parsed); nothing
imports it at ``import commentluv`` time.
"""

from __future__ import annotations

from .links import Candidate, HeadScanner, PageLinks, find_feed_links, html_head_end
from .platforms import guess_feed_urls
from .sniff import FeedKind, sniff_feed

__all__ = [
    "Candidate",
    "FeedKind",
    "HeadScanner",
    "PageLinks",
    "find_feed_links",
    "guess_feed_urls",
    "html_head_end",
    "sniff_feed",
]
