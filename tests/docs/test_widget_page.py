"""The widget's options on docs/guide/comment-form.md are the ones commentluv.js reads, and
every one it reads is documented."""

from __future__ import annotations

import re

from tests.support import ROOT

PAGE = ROOT / "docs/guide/comment-form.md"
WIDGET = ROOT / "commentluv/web/static/commentluv.js"
_ATTRIBUTE = re.compile(r"data-[a-z]+(?:-[a-z]+)*-?")


def test_the_page_and_the_widget_name_the_same_attributes():
    documented = set(_ATTRIBUTE.findall(PAGE.read_text(encoding="utf-8")))
    documented = {"data-text-" if name.startswith("data-text-") else name for name in documented}
    read = set(_ATTRIBUTE.findall(WIDGET.read_text(encoding="utf-8")))
    assert documented == read


def test_the_translatable_strings_are_the_widgets_own():
    page, widget = PAGE.read_text(encoding="utf-8"), WIDGET.read_text(encoding="utf-8")
    keys = re.search(r"`line`.*?`other`\)", page, re.DOTALL)
    assert keys
    for key in re.findall(r"`(\w+)`", keys.group()):
        assert re.search(rf"\b{key}\s*:", widget), key
