"""Every regular expression that can see fetched bytes, timed on 2 MiB adversarial inputs.

A pattern whose two parts can match one run of characters (``0*`` then ``[0-9a-f]{6,}``)
backtracks quadratically: ``&#x`` + 80,000 zeros once took 25 s of CPU. Each pattern of the
pure rooms runs here over inputs built from the characters patterns repeat, in a child
process (a hang fails the test instead of the run), and must take well under a lookup's
deadline.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

MODULES = [
    "commentluv._feeds.decode",
    "commentluv._feeds.scrub",
    "commentluv._feeds.post",
    "commentluv._feeds.streaming",
    "commentluv._feeds.jsonfeed",
    "commentluv._feeds.parse",
    "commentluv._discovery.sniff",
    "commentluv._discovery.links",
    "commentluv._discovery.rank",
    "commentluv._discovery.platforms",
    "commentluv._text",
    "commentluv._urls",
    "commentluv.formatting",
    "commentluv.errors",
]
BUDGET_SECONDS = 0.5  # per pattern and 2 MiB input; a lookup's deadline is seconds

TIMER = r"""
import importlib, json, re, sys, time
N = 2 * 1024 * 1024
units = ["&#x", "&#", "0", "9", "<", "<a", "<!--", "<?", "<!", "[", "<![CDATA[", "]]", "a",
         " ", "\t\n", "&", "&a", "1.", '"', "'", "<a href=", "charset=", "-", "/", ":", "%",
         "\\", "<script", "<style", "http://", "@", "www.", "=", ";", "x", "<a ", "</",
         "<meta ", "encoding=", "<?xml ", "\x00", "Jan ", "T00:00"]
inputs = {repr(u): (u * (N // len(u)))[:N] for u in units}
inputs["&#x+zeros+g"] = "&#x" + "0" * (N - 4) + "g"
inputs["&#+nines+x"] = "&#" + "9" * (N - 3) + "x"
inputs["<a href= + x"] = "<a href='" + "x" * (N - 10)
module = importlib.import_module(sys.argv[1])
slowest = {}
for name, pattern in vars(module).items():
    if not isinstance(pattern, re.Pattern):
        continue
    for label, text in inputs.items():
        data = text.encode("latin-1", "replace") if isinstance(pattern.pattern, bytes) else text
        started = time.process_time()
        for _ in pattern.finditer(data):  # a try at every position: search and match too
            pass
        seconds = time.process_time() - started
        if seconds > slowest.get(name, (0, ""))[0]:
            slowest[name] = (seconds, label)
print(json.dumps(slowest))
"""


@pytest.mark.parametrize("module", MODULES)
def test_no_pattern_backtracks_on_two_mebibytes_of_adversarial_input(module):
    result = subprocess.run(
        [sys.executable, "-c", TIMER, module], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    slowest = json.loads(result.stdout)
    slow = {name: found for name, found in slowest.items() if found[0] > BUDGET_SECONDS}
    assert slow == {}
