"""The lookup engine behind :class:`~commentluv.CommentLuv`: the cache record and its
freshness (``store``), one site's network sequence (``lookup``), refreshes behind a stale
answer and the refresh queue (``refresh``), and one fetch per site at a time
(``singleflight``). It orchestrates the pure rooms (``_net``, ``_discovery``, ``_feeds``);
nothing outside the client imports it."""
