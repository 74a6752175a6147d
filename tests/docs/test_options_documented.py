"""Every option of every command is documented on its page (an option added without its
documentation fails here, sqlite-utils style)."""

from __future__ import annotations

import argparse

import pytest

from commentluv.cli import SUBCOMMANDS
from commentluv.cli import backfill as backfill_command
from commentluv.cli import lookup as lookup_command
from commentluv.cli import serve as serve_command
from tests.support import ROOT

PARSERS = {
    "docs/guide/cli.md": lambda: lookup_command._lookup_parser(
        {name: command.help for name, command in SUBCOMMANDS.items()}
    ),
    "docs/guide/backfill.md": backfill_command._parser,
    "docs/guide/comment-form.md": serve_command._parser,
}


def options(parser: argparse.ArgumentParser) -> list[str]:
    return [
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]


@pytest.mark.parametrize("page", sorted(PARSERS))
def test_every_option_is_on_its_page(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    missing = [option for option in options(PARSERS[page]()) if f"`{option}" not in text]
    assert missing == [], f"{page} does not document {missing}"


def test_every_subcommand_is_on_the_command_line_page():
    text = (ROOT / "docs/guide/cli.md").read_text(encoding="utf-8")
    assert [name for name in SUBCOMMANDS if f"commentluv {name}" not in text] == []
