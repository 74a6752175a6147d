"""Every regular expression that can see fetched bytes, timed on 2 MiB adversarial inputs.

A pattern whose two parts can match one run of characters (``0*`` then ``[0-9a-f]{6,}``)
backtracks quadratically: ``&#x`` + 80,000 zeros once took 25 s of CPU. Each pattern of the
pure rooms runs here over inputs built from the characters patterns repeat, in a child
process (a hang fails the test instead of the run), and must take well under a lookup's
deadline, and grow no faster than linearly (timed at 512 KiB and at 2 MiB).
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
    "commentluv._feeds.dates",
    "commentluv._feeds.parse",
    "commentluv._discovery.sniff",
    "commentluv._discovery.links",
    "commentluv._discovery.tags",
    "commentluv._discovery.navigation",
    "commentluv._discovery.rank",
    "commentluv._discovery.platforms",
    "commentluv._discovery.linkheader",
    "commentluv._shared.text",
    "commentluv._shared.urls",
    "commentluv.formatting",
    "commentluv.errors",
]
# Per pattern and 2 MiB input: well under a lookup's deadline (10 s by default, 3 s tight),
# on a machine where a match at every one of 2 Mi characters takes REFERENCE_SECONDS; a
# busier machine (the reference measured slower) gets a proportionally larger budget.
BUDGET_SECONDS, REFERENCE_SECONDS = 1.5, 0.25
# Linear time grows 4x from 512 KiB to 2 MiB, quadratic 16x; timings under 0.1 s are noise.
GROWTH_LIMIT, NOISE_SECONDS = 8, 0.1

TIMER = r"""
import importlib, json, re, sys, time
units = ["&#x", "&#", "0", "9", "<", "<a", "<!--", "<?", "<!", "[", "<![CDATA[", "]]", "a",
         " ", "\t\n", "&", "&a", "1.", '"', "'", "<a href=", "charset=", "-", "/", ":", "%",
         "\\", "<script", "<style", "http://", "@", "www.", "=", ";", "x", "<a ", "</",
         "<meta ", "encoding=", "<?xml ", "\x00", "Jan ", "T00:00"]

def inputs(n):
    found = {repr(u): (u * (n // len(u)))[:n] for u in units}
    found["&#x+zeros+g"] = "&#x" + "0" * (n - 4) + "g"
    found["&#+nines+x"] = "&#" + "9" * (n - 3) + "x"
    found["<a href= + x"] = "<a href='" + "x" * (n - 10)
    return found

def seconds(pattern, text):
    data = text.encode("latin-1", "replace") if isinstance(pattern.pattern, bytes) else text
    started = time.process_time()
    for _ in pattern.finditer(data):  # a try at every position: search and match too
        pass
    return time.process_time() - started

small, big = inputs(512 * 1024), inputs(2 * 1024 * 1024)
module = importlib.import_module(sys.argv[1])
worst = {}
for name, pattern in vars(module).items():
    if isinstance(pattern, re.Pattern):
        at_2m, label = max((seconds(pattern, text), label) for label, text in big.items())
        at_512k = seconds(pattern, small[label])  # its worst input, 4 times shorter
        if at_2m > 4 * at_512k * 1.5:  # looks faster than linear: time both again, best of 3
            at_512k = min(seconds(pattern, small[label]) for _ in range(3))
            at_2m = min(seconds(pattern, big[label]) for _ in range(3))
        worst[name] = (at_512k, at_2m, label)
reference = seconds(re.compile("."), "x" * 2 * 1024 * 1024)
print(json.dumps({"worst": worst, "reference": reference}))
"""


@pytest.mark.slow  # about 100 s of CPU in all: .ci/run's slow step
@pytest.mark.parametrize("module", MODULES)
def test_no_pattern_backtracks_on_two_mebibytes_of_adversarial_input(module):
    result = subprocess.run(
        [sys.executable, "-c", TIMER, module], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    worst = report["worst"]
    budget = BUDGET_SECONDS * max(1.0, report["reference"] / REFERENCE_SECONDS)
    too_slow = {name: found for name, found in worst.items() if found[1] > budget}
    superlinear = {
        name: found
        for name, (at_512k, at_2m, label) in worst.items()
        if at_2m > NOISE_SECONDS and at_2m > GROWTH_LIMIT * max(at_512k, NOISE_SECONDS / 8)
        for found in [(at_512k, at_2m, label)]
    }
    assert too_slow == {} and superlinear == {}
