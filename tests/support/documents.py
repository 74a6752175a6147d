"""Small feed documents built in tests: one dated post, in the format a test needs."""

from __future__ import annotations

DATE_RFC822 = "Fri, 31 May 2024 09:30:00 +0000"
DATE_RFC3339 = "2024-05-31T09:30:00Z"


def one_post_rss(title: str, link: str) -> str:
    """An RSS 2.0 feed of one post, ``title`` at ``link``, dated 31 May 2024."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>A</title>'
        f"<item><title>{title}</title><link>{link}</link>"
        f"<pubDate>{DATE_RFC822}</pubDate></item></channel></rss>"
    )


def one_post_atom(title: str, link: str) -> str:
    """An Atom feed of one post, ``title`` at ``link``, dated 31 May 2024."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>A</title><entry><title>{title}</title><link href="{link}"/>'
        f"<id>{link}</id><updated>{DATE_RFC3339}</updated></entry></feed>"
    )
