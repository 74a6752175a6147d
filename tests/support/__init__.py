"""What the tests are built from: loopback servers, fakes, sample data. Not tests."""

from pathlib import Path

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
