"""The widget's options on docs/guide/comment-form.md are the ones commentluv.js reads, and
every one it reads is documented."""

from __future__ import annotations

import re

from tests.docs.snippets import blocks
from tests.support import ROOT

PAGE = ROOT / "docs/guide/comment-form.md"
WIDGET = ROOT / "commentluv/web/static/commentluv.js"
_ATTRIBUTE = re.compile(r"data-[a-z]+(?:-[a-z]+)*-?")
# The widget reads its script tag's dataset: data.linkField is data-link-field, and
# data["text" + Key] is a data-text-key attribute.
_DATASET_KEY = re.compile(r"\bdata\.([a-z][A-Za-z]*)")
# Isso's own script tag, shown beside the widget's on the page.
_FOREIGN = {"data-isso"}


def test_the_page_and_the_widget_name_the_same_attributes():
    documented = set(_ATTRIBUTE.findall(PAGE.read_text(encoding="utf-8"))) - _FOREIGN
    documented = {"data-text-" if name.startswith("data-text-") else name for name in documented}
    widget = WIDGET.read_text(encoding="utf-8")
    read = {
        "data-" + re.sub(r"[A-Z]", lambda upper: "-" + upper.group().lower(), key)
        for key in _DATASET_KEY.findall(widget)
    }
    if 'data["text" +' in widget:
        read.add("data-text-")
    assert read
    assert documented == read


def test_the_translatable_strings_are_the_widgets_own():
    page, widget = PAGE.read_text(encoding="utf-8"), WIDGET.read_text(encoding="utf-8")
    keys = re.search(r"`line`.*?`other`\)", page, re.DOTALL)
    assert keys
    for key in re.findall(r"`(\w+)`", keys.group()):
        assert re.search(rf"\b{key}\s*:", widget), key


def test_the_custom_properties_the_page_shows_are_the_stylesheets_own():
    stylesheet = (WIDGET.parent / "commentluv.css").read_text(encoding="utf-8")
    shown = {
        name
        for block in blocks(PAGE)
        if block.language == "css"
        for name in re.findall(r"--commentluv-[a-z-]+", block.body)
    }
    assert shown
    assert shown <= set(re.findall(r"--commentluv-[a-z-]+", stylesheet))
