"""MkDocs hook: the docstrings' Sphinx roles (:class:`~commentluv.cache.MemoryCache`) as
links into the API reference, where the name has a page, and as code where it has none."""

from __future__ import annotations

import re
from typing import Any

# mkdocstrings renders :class:`X` as ":class:<code>X</code>"; the "~" keeps the last name only.
_ROLE = re.compile(
    r":(?:class|func|meth|mod|attr|exc|data|obj|const):<code>(?P<tilde>~?)(?P<target>[\w.]+)</code>"
)


def _as_reference(match: re.Match[str]) -> str:
    target = match["target"]
    shown = target.rsplit(".", 1)[-1] if match["tilde"] else target
    identifier = target if target.startswith("commentluv") else f"commentluv.{target}"
    return f'<autoref identifier="{identifier}" optional><code>{shown}</code></autoref>'


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub(_as_reference, html)
