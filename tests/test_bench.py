"""The benchmark still runs (a small one): figures are printed, never asserted."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_broadcast_bench_runs_and_prints_its_figures():
    result = subprocess.run(
        [sys.executable, "bench/broadcast.py", "--players", "8", "--repeat", "3", "--no-floor"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert any(line.startswith("N=8") and " vote " in line and "p99" in line for line in lines)
    assert any(line.startswith("N=8") and " advance " in line for line in lines)
