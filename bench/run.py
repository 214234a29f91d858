"""Runs every benchmark in bench/ as its own process and writes bench/RESULTS.md: the machine, the date,
each figure, the goal it is judged by, and PASS or MISS.

    .venv/bin/python -m bench.run [--quick] [--only NAME ...] [--output bench/RESULTS.md]

A benchmark speaks the protocol in bench/harness.py when its source mentions "--json": then its figures
come from that file. Others are run as they are; their output goes into RESULTS.md, and figures are read
from it where a reader below knows the format.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import harness
from bench.harness import Figure, say

HERE = Path(__file__).resolve().parent
PROFILES = HERE / "PROFILES.md"
NOT_BENCHMARKS = {"__init__", "harness", "run", "profile", "gunicorn_profile"}
# The order they run in (anything else found in bench/ runs after these, by name).
ORDER = ["engine", "inbox", "timers", "throughput", "growth"]
# Sizes for benchmarks that take them as arguments rather than --quick.
QUICK_ARGUMENTS = {"timers": ["2000", "200"]}
TIMEOUT_S = {"quick": 600, "full": 1800}
TAIL_LINES = 40


@dataclass
class Outcome:
    name: str
    command: list[str]
    seconds: float
    exit_code: int | None
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    title: str = ""
    load: str = ""
    """The machine's 1-minute load average when the benchmark started and when it ended: on a shared
    machine, how busy it was says how far to trust the figures."""


def discover(only: list[str] | None) -> list[str]:
    found = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in NOT_BENCHMARKS)
    ordered = [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]
    return [n for n in ordered if not only or n in only]


def command_for(name: str, quick: bool, json_path: Path) -> list[str]:
    source = (HERE / f"{name}.py").read_text()
    # Run as a module from the project root, so bench/engine.py never shadows the engine package.
    command = [sys.executable, "-m", f"bench.{name}"]
    if "--json" in source:
        command += ["--json", str(json_path)]
    if quick:
        command += ["--quick"] if "--quick" in source else QUICK_ARGUMENTS.get(name, [])
    return command


def run_one(name: str, quick: bool) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="cs-bench-run-") as folder:
        json_path = Path(folder) / "figures.json"
        command = command_for(name, quick, json_path)
        say(f"\n#### {name}: {' '.join(command[1:])}")
        started = time.perf_counter()
        load_before = _load_average()
        output: list[str] = []
        process = subprocess.Popen(command, cwd=harness.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert process.stdout is not None
        deadline = time.monotonic() + TIMEOUT_S["quick" if quick else "full"]
        for line in process.stdout:
            print(f"  | {line}", end="", flush=True)
            output.append(line.rstrip("\n").split("\r")[-1])
            if time.monotonic() > deadline:
                process.kill()
                output.append(f"(stopped: took longer than {TIMEOUT_S['quick' if quick else 'full']} s)")
                break
        exit_code = process.wait()
        outcome = Outcome(name, command, time.perf_counter() - started, exit_code, output=output,
                          load=f"{load_before} → {_load_average()}")
        if json_path.exists():
            document = json.loads(json_path.read_text())
            outcome.title = document.get("title", "")
            outcome.figures = [Figure(**f) for f in document.get("figures", [])]
            outcome.notes = document.get("notes", [])
        elif name in READERS:
            outcome.figures = READERS[name]("\n".join(output))
    return outcome


def _load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def _timers_figures(text: str) -> list[Figure]:
    """Figures from bench/timers.py's printed lines (it does not write JSON)."""
    figures = []
    if match := re.search(r"Sweep with 0 due among ([\d,]+): ([\d.]+) ms, \d+ fired, (\d+) deserialised", text):
        figures.append(Figure(f"idle sweep over {match[1]} waiting: instances deserialised", float(match[3]),
                              "instances", "= 0", match[3] == "0"))
        figures.append(Figure(f"idle sweep over {match[1]} waiting", float(match[2]), "ms"))
    if match := re.search(r"([\d,]+) due instances fired in ([\d.]+) s", text):
        figures.append(harness.at_most(f"{match[1]} due timers all fired", float(match[2]), "s", 60))
    if match := re.search(r"committed [\d:.]+: (-?\d+) ms late", text):
        figures.append(harness.at_most("single-timer latency (due to committed)", float(match[1]), "ms", 1000))
    return figures


READERS: dict[str, Callable[[str], list[Figure]]] = {"timers": _timers_figures}


# --- the machine -------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    facts = {"Date (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
             "CPUs (nproc)": str(os.cpu_count()),
             "CPU": _first(Path("/proc/cpuinfo"), r"model name\s*:\s*(.+)") or platform.processor() or "unknown",
             "Memory": _memory(),
             "OS": platform.platform(),
             "Python": platform.python_version(),
             "SQLite": sqlite3.sqlite_version,
             "PostgreSQL": _postgres_version(),
             "Commit": _git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)"
                                                                if _git("status", "--porcelain") else "")}
    for package in ("SpiffWorkflow", "SQLAlchemy", "Flask", "gunicorn", "psycopg"):
        facts[package] = _version(package)
    return facts


def _first(path: Path, pattern: str) -> str | None:
    try:
        match = re.search(pattern, path.read_text())
    except OSError:
        return None
    return match[1].strip() if match else None


def _memory() -> str:
    kib = _first(Path("/proc/meminfo"), r"MemTotal:\s*(\d+)")
    return f"{int(kib) / 1024 / 1024:.1f} GiB" if kib else "unknown"


def _postgres_version() -> str:
    if not harness.postgres_reachable():
        return "not reachable"
    from sqlalchemy import create_engine, text

    engine = create_engine(harness.POSTGRES_ADMIN_URL)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def _git(*arguments: str) -> str:
    try:
        return subprocess.run(["git", *arguments], cwd=harness.ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ""


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


# --- RESULTS.md --------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|")


def _verdict(figure: Figure) -> str:
    return "" if figure.passed is None else ("PASS" if figure.passed else "**MISS**")


def results(outcomes: list[Outcome], facts: dict[str, str], quick: bool) -> str:
    lines = ["# Benchmark results", "",
             f"Written by `make bench` (`python -m bench.run{' --quick' if quick else ''}`)"
             + (": **quick mode, small sizes; these figures check the benchmarks run, not speed.**" if quick else
                ", full sizes."), "", "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {_cell(v)} |" for k, v in facts.items()]
    judged = [(o, f) for o in outcomes for f in o.figures if f.passed is not None]
    passed = sum(1 for _, f in judged if f.passed)
    lines += ["", "## Goals", "", f"{passed} of {len(judged)} goals met.", "",
              "| Benchmark | Figure | Value | Goal | Result |", "|---|---|---|---|---|"]
    lines += [f"| {o.name} | {_cell(f.name)} | {f.value:.4g} {_cell(f.unit)} | {_cell(f.goal)} | {_verdict(f)} |"
              for o, f in judged]
    if PROFILES.exists():
        lines += ["", "## Profiles and fixes", "",
                  f"Where each missed goal's time went, what was changed, and the figures before and after: "
                  f"[{PROFILES.name}]({PROFILES.name}). What is still missed, and why, is said there too."]
    for outcome in outcomes:
        lines += ["", f"## {outcome.name}" + (f": {outcome.title}" if outcome.title else ""), "",
                  f"`{' '.join(['python', *outcome.command[1:]])}`: exit {outcome.exit_code}, "
                  f"{outcome.seconds:.0f} s, load average {outcome.load} on {os.cpu_count()} CPUs.", ""]
        if outcome.figures:
            lines += ["| Figure | Value | Goal | Result |", "|---|---|---|---|"]
            lines += [f"| {_cell(f.name)} | {f.value:.4g} {_cell(f.unit)} | {_cell(f.goal)} | {_verdict(f)} |"
                      for f in outcome.figures]
        if not outcome.figures or outcome.exit_code:
            lines += ["", "Output (last lines):", "", "```", *outcome.output[-TAIL_LINES:], "```"]
        if outcome.notes:
            lines += ["", "<details><summary>Query plans</summary>", "", "```", *outcome.notes, "```", "",
                      "</details>"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: checks each benchmark runs")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these (e.g. inbox growth)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    names = discover(args.only)
    say(f"Benchmarks: {', '.join(names)} ({'quick' if args.quick else 'full'} sizes)")
    outcomes = []
    for number, name in enumerate(names, 1):
        say(f"\n[{number}/{len(names)}] {name}")
        outcomes.append(run_one(name, args.quick))
        say(f"[{number}/{len(names)}] {name}: exit {outcomes[-1].exit_code} after {outcomes[-1].seconds:.0f} s")
    args.output.write_text(results(outcomes, machine(), args.quick))
    say(f"\nWrote {args.output}")
    for outcome in outcomes:
        for figure in outcome.figures:
            if figure.passed is not None:
                say(f"  {outcome.name}: {figure.line()}")
    return 0 if all(o.exit_code == 0 for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
