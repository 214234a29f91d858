"""What every benchmark shares: fresh databases it owns, timing figures, and the --quick/--json protocol
that bench/run.py uses to collect results."""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
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
def sqlite_url() -> Iterator[str]:
    """The URL of a migrated SQLite file in a temporary folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="cs-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    try:
        database = Database(url)
        database.upgrade()
        database.dispose()
        yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def sqlite_database() -> Iterator[Database]:
    """A migrated SQLite file in a temporary folder, removed afterwards."""
    with sqlite_url() as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()


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
    """(name, context manager factory of a Database) for SQLite and, when reachable, PostgreSQL."""
    yield from _either(only, sqlite_database, postgres_database)


def database_urls(only: str | None = None) -> Iterator[tuple[str, Callable[[], Any]]]:
    """(name, context manager factory of a database URL), for benchmarks that start a server on it."""
    yield from _either(only, sqlite_url, postgres_url)


def _either(only: str | None, sqlite: Callable[[], Any], postgres: Callable[[], Any]) -> Iterator[tuple[str, Any]]:
    if only in (None, "sqlite"):
        yield "sqlite", sqlite
    if only in (None, "postgresql"):
        if postgres_reachable():
            yield "postgresql", postgres
        else:
            say(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: skipped.")


# --- the product served over loopback ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int, extra: list[str] | None = None) -> Iterator[int]:
    """The product as README.md deploys it (`gunicorn 'web.app:create_app()'`) over `url`, on a free
    loopback port; yields the port once /healthz answers, and stops the server afterwards."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "INSECURE_COOKIES": "1"}
    command = [str(Path(sys.executable).with_name("gunicorn")), "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--log-level", "warning", *(extra or []), "web.app:create_app()"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start-up (exit {server.returncode})")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer /healthz within 60 s") from None
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class HttpClient:
    """One caller's connection to the server, kept alive between requests as far as the server allows."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        payload = None if body is None else json.dumps(body)
        try:
            self.connection.request(method, path, body=payload, headers=self.headers)
            response = self.connection.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):
            # The server closed the connection after the last response: open a new one and ask once more.
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.connection.request(method, path, body=payload, headers=self.headers)
            response = self.connection.getresponse()
            data = response.read()
        if response.will_close:
            self.connection.close()
        return response.status, json.loads(data) if data else None


# --- where the CPU goes -----------------------------------------------------------------------------


def cpu_seconds() -> dict[int, tuple[str, float]]:
    """CPU time (user + system) used so far by each process on the machine, by pid, with its kind: this
    benchmark's own process (the load client), gunicorn, PostgreSQL, or other (work sharing the machine).
    `cpu_used` turns two readings into where a stretch of time went. Linux only; {} elsewhere."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        pid = int(entry.name)
        if pid == os.getpid():
            kind = "load client"
        elif "gunicorn" in command:
            kind = "gunicorn"
        elif command.startswith("postgres"):
            kind = "postgresql"
        else:
            kind = "other"
        found[pid] = (kind, (int(fields[11]) + int(fields[12])) / ticks)
    return found


def cpu_used(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds each kind of process used between two readings (a process that ended in between is
    not counted; one that started is counted whole)."""
    used: dict[str, float] = {}
    for pid, (kind, seconds) in after.items():
        used[kind] = used.get(kind, 0.0) + seconds - before.get(pid, (kind, 0.0))[1]
    return used


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
