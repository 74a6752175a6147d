"""What a fresh interpreter imports."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

from tests.support import ROOT


def imported_after(statement: str, modules: set[str]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported after ``statement``."""
    code = f"import sys; {statement}; print(sorted({modules!r} & set(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return ast.literal_eval(result.stdout.strip())
