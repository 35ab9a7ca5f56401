"""One measurement in a fresh process, shared by the benchmark scripts: each script runs
itself with ``--one SCENARIO SAMPLES --workers N`` (and any options of its own) and prints
one JSON line last."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence


def measure(script: str, scenario: str, samples: int, workers: int, options: Sequence[str] = ()) -> dict[str, float]:
    """Run ``script --one scenario samples --workers workers [options]`` in a new interpreter
    (a cold process: imports and kernel cache as a user meets them) and read its last line."""
    command = [sys.executable, script, "--one", scenario, str(samples), "--workers", str(workers), *options]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))
