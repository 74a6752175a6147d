"""Fixtures of the network room's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.net.raw import RawServer


@pytest.fixture
def servers() -> Iterator[list[RawServer]]:
    """The raw servers a test starts (tests.net.raw.serve), closed after it."""
    made: list[RawServer] = []
    yield made
    for server in made:
        server.close()
