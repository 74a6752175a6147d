"""The error tree drawn on docs/guide/errors.md is the real one: each class under its
parent, with its kind, and no class left out."""

from __future__ import annotations

import re

import commentluv.errors
from commentluv.errors import CommentLuvError
from tests.docs.snippets import blocks
from tests.support import ROOT

_ROW = re.compile(
    r"^(?P<indent>[│├└─ ]*)(?P<name>\w+)(?: \((?:also )?(?P<also>\w+)\))?\s+(?P<kind>\w+)"
)


def test_the_error_tree_is_the_classes_and_their_kinds():
    (tree,) = [b for b in blocks(ROOT / "docs/guide/errors.md") if b.language == "text"]
    header, *rows = tree.body.splitlines()
    assert header.split() == ["CommentLuvError", "kind"]
    drawn, parents = {"CommentLuvError": CommentLuvError}, [CommentLuvError]
    for row in rows:
        match = _ROW.match(row)
        assert match, row
        depth = len(match["indent"]) // 4
        cls = getattr(commentluv.errors, match["name"])
        parents[depth:] = [cls]
        assert cls.__bases__[0] is parents[depth - 1], row
        if match["also"]:
            assert match["also"] in {base.__name__ for base in cls.__mro__}, row
        assert cls.kind == match["kind"], row
        drawn[cls.__name__] = cls
    every = {
        name for name in commentluv.errors.__all__
        if isinstance(getattr(commentluv.errors, name), type)
        and issubclass(getattr(commentluv.errors, name), CommentLuvError)
    }  # fmt: skip
    assert set(drawn) == every
