"""The safe, streaming XML parse every XML export reader shares (WXR, Blogger's Atom).

lxml's ``iterparse``, with elements cleared once read: an export of hundreds of MB takes the
memory of its largest element, not of the file. Safe for untrusted files: a DOCTYPE (and so
any entity declaration) is refused, no entity is expanded, nothing is loaded from the
network, and lxml's size limits stay on (a text node over 10 MB is an error).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

# lxml-stubs may or may not be installed; the parser is used through Any either way.
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from .readers import InputError

__all__ = ["let_go", "safe_iterparse"]


def safe_iterparse(
    path: str | os.PathLike[str], events: tuple[str, ...], tag: Any = None
) -> Iterator[tuple[str, Any]]:
    """The ``events`` (of the elements ``tag`` names, default all) of a safe parse of the
    file at ``path``; :class:`InputError` where the document is malformed or refused."""
    parser = etree.iterparse(
        os.fspath(path),
        events=events,
        tag=tag,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        strip_cdata=False,
        remove_comments=True,
        remove_pis=True,
    )
    checked = False
    try:
        for event, element in parser:
            if not checked:
                # The prolog has been read by the first event: refuse any DOCTYPE.
                checked = True
                if element.getroottree().docinfo.doctype:
                    raise InputError("a DOCTYPE is refused (exports have none)", path=path)
            yield event, element
    except etree.XMLSyntaxError as exc:
        raise InputError(f"not well-formed XML: {exc.msg}", path=path, line=exc.lineno) from None


def let_go(element: Any) -> None:
    """Free what the parse has built so far under ``element``'s parent."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
