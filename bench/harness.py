"""What every benchmark shares: fresh databases it owns, timing figures, and the --quick/--json protocol
that bench/run.py uses to collect results."""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from engine.db import Database

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@dataclass
class Figure:
    """One measured number and the goal it is judged by (None: reported, not judged)."""

    name: str
    value: float
    unit: str
    goal: str = ""
    passed: bool | None = None

    def line(self) -> str:
        verdict = "" if self.passed is None else ("  PASS" if self.passed else "  MISS")
        goal = f"  (goal {self.goal})" if self.goal else ""
        return f"{self.name}: {self.value:.4g} {self.unit}{goal}{verdict}"


def at_most(name: str, value: float, unit: str, limit: float) -> Figure:
    return Figure(name, value, unit, f"≤ {limit:g} {unit}", value <= limit)


def at_least(name: str, value: float, unit: str, limit: float) -> Figure:
    return Figure(name, value, unit, f"≥ {limit:g} {unit}", value >= limit)


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the value that `fraction` of the samples do not exceed."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def timed(action: Callable[[], Any], repeat: int, warm_up: int = 5) -> list[float]:
    """Milliseconds per call, after a few unmeasured calls so caches are warm as in service."""
    for _ in range(warm_up):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def say(message: str) -> None:
    print(message, flush=True)


class Progress:
    """Prints rows loaded and the rate, at most every `every` rows."""

    def __init__(self, label: str, total: int, every: int = 100_000) -> None:
        self.label, self.total, self.every = label, total, every
        self.done, self._reported, self._start = 0, 0, time.perf_counter()

    def add(self, rows: int) -> None:
        if not rows:
            return
        self.done += rows
        if self.done - self._reported >= self.every or self.done >= self.total:
            self._reported = self.done
            elapsed = time.perf_counter() - self._start
            say(f"  {self.label}: {self.done:,}/{self.total:,} rows, {self.done / max(elapsed, 1e-9):,.0f} rows/s")


# --- databases ---------------------------------------------------------------------------------------


def postgres_reachable() -> bool:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception:  # any driver or network failure means "not on this machine"
        return False
    return True


@contextmanager
def sqlite_database() -> Iterator[Database]:
    """A migrated SQLite file in a temporary folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="cs-bench-"))
    database = Database(f"sqlite:///{folder / 'bench.db'}")
    try:
        database.upgrade()
        yield database
    finally:
        database.dispose()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_url() -> Iterator[str]:
    """The URL of a migrated PostgreSQL database of the benchmark's own, dropped afterwards."""
    name = f"cs_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        Database(url).upgrade()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def postgres_database() -> Iterator[Database]:
    with postgres_url() as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()


def databases(only: str | None = None) -> Iterator[tuple[str, Callable[[], Any]]]:
    """(name, context manager factory) for SQLite and, when reachable, PostgreSQL."""
    if only in (None, "sqlite"):
        yield "sqlite", sqlite_database
    if only in (None, "postgresql"):
        if postgres_reachable():
            yield "postgresql", postgres_database
        else:
            say(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: skipped.")


# --- the protocol bench/run.py speaks ----------------------------------------------------------------


def arguments(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the benchmark runs, not speed")
    parser.add_argument("--json", type=Path, help="also write the figures to this file, for bench/run.py")
    if extra is not None:
        extra(parser)
    # Stopped from outside, still drop the databases and files made so far (the `finally` blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return parser.parse_args()


def report(title: str, figures: list[Figure], notes: list[str], json_path: Path | None) -> None:
    """Print the figures; write them (and notes such as query plans) as JSON when asked."""
    say(f"\n== {title}")
    for figure in figures:
        say("  " + figure.line())
    if json_path is not None:
        json_path.write_text(json.dumps({"title": title, "figures": [asdict(f) for f in figures],
                                         "notes": notes}, indent=1))


def exit_code(figures: list[Figure]) -> int:
    """0 even when a goal is missed: a miss is a finding for RESULTS.md, not a crash."""
    return 0 if figures else 1


if __name__ == "__main__":
    sys.exit("This module is a library for the benchmarks in bench/.")
