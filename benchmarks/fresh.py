"""One measurement in a fresh process, shared by the benchmark scripts: each script runs
itself with ``--one SCENARIO SAMPLES --workers N`` and prints one JSON line last."""

from __future__ import annotations

import json
import subprocess
import sys


def measure(script: str, scenario: str, samples: int, workers: int) -> dict[str, float]:
    """Run ``script --one scenario samples --workers workers`` in a new interpreter (a cold
    process: imports and kernel cache as a user meets them) and read its last line."""
    command = [sys.executable, script, "--one", scenario, str(samples), "--workers", str(workers)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))
