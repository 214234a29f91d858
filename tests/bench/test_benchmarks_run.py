"""Each benchmark runs end to end at its quick size and reports figures with goals. These tests never judge
speed (the quick sizes say nothing about it); they fail when a benchmark no longer runs or reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def run_module(module: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=280, check=False)


@pytest.mark.parametrize("benchmark", ["engine", "inbox", "growth", "throughput"])
def test_benchmark_runs_at_quick_size_and_reports_figures(benchmark: str, tmp_path: Path) -> None:
    figures_file = tmp_path / "figures.json"
    result = run_module(f"bench.{benchmark}", "--quick", "--json", str(figures_file))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(figures_file.read_text())["figures"]
    if benchmark == "throughput" and not figures:
        pytest.skip("The throughput benchmark needs PostgreSQL, which is not reachable here.")
    assert figures, result.stdout[-3000:]
    assert any(f["goal"] and f["passed"] is not None for f in figures), figures
    assert "Traceback" not in result.stderr


def test_bench_run_writes_results_with_machine_and_goals(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    result = run_module("bench.run", "--quick", "--only", "growth", "--output", str(output))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    written = output.read_text()
    for heading in ("## Machine", "CPUs (nproc)", "SQLite", "PostgreSQL", "## Goals", "## growth"):
        assert heading in written
    assert "PASS" in written or "MISS" in written
