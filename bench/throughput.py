"""Throughput: gunicorn with 4 workers on PostgreSQL, and a bounded load client of our own that claims and
completes tasks through the API from many threads at once, until a fixed number of completions.

Then the same server and clients send the app's lightest request (`GET /healthz`, one `SELECT 1`) as fast as
they can, as many times: the stack's ceiling on this machine. No completion can be served faster than that,
so it shows how much of the goal the machine and the stack leave for the product's own work.

    .venv/bin/python -m bench.throughput [--quick] [--json out.json] [--completions N] [--clients N]
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from bench import harness
from bench.harness import Figure, say
from engine import tokens
from engine.db import Database
from engine.people import create_user
from engine.service import Actor, WorkflowService
from processes import CATALOGUE
from processes.roles import ROLES, SUPPORT_OFFICER

TEST_DIAGRAMS = harness.ROOT / "tests" / "diagrams"
WORKERS = 4
# gunicorn as README.md deploys it: sync workers. Threads (`--gunicorn "--worker-class gthread --threads 4"`)
# measured the same here: the two cores are busy, not waiting (see the CPU figures and bench/PROFILES.md).
GUNICORN_SETTINGS: list[str] = []
GOAL_PER_SECOND = 300.0
FULL_COMPLETIONS, QUICK_COMPLETIONS = 3000, 40
FULL_CLIENTS, QUICK_CLIENTS = 8, 4
CLAIMS_PER_LIST = 4
# The "simple" test process: triage (low severity) then review, so each case gives two completions.
ANSWERS = {"Acknowledge and triage": {"severity": "low", "advice_given": "Keep a log"},
           "Review and close": {"note": "Closed"}}


# --- preparing ---------------------------------------------------------------------------------------


def prepare(url: str, cases: int, clients: int) -> list[str]:
    """Deploy the test diagrams, open the cases and make one officer (with a token) per client thread."""
    db = Database(url)

    @event.listens_for(db.engine, "connect")
    def _fast_setup(dbapi_connection: Any, _record: Any) -> None:
        # Preparing only: the measured server commits durably as in production.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")

    try:
        service = WorkflowService(db, CATALOGUE)
        service.deploy_folder(TEST_DIAGRAMS)
        secrets, actors = [], []
        with db.write() as session:
            for n in range(clients):
                user = create_user(session, email=f"officer{n}@example.org", name=f"Officer {n}", password=None,
                                   roles=[SUPPORT_OFFICER], known_roles=ROLES)
                secrets.append(tokens.create_token(session, user.id, "load test"))
                actors.append(Actor.of(user))
        started = time.perf_counter()
        for n in range(cases):
            service.open_case({"summary": f"Case {n}"}, councillor_id=None, actor=actors[0], process_id="simple")
            if (n + 1) % 500 == 0 or n + 1 == cases:
                say(f"  opened {n + 1:,}/{cases:,} cases, {(n + 1) / (time.perf_counter() - started):,.0f}/s")
        return secrets
    finally:
        db.dispose()


# --- the load ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What every client thread adds to, under one lock."""

    target: int
    completed: int = 0
    conflicts: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"list": [], "claim": [], "complete": [],
                                                                       "lightest": []})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def done(self) -> bool:
        return self.completed >= self.target or len(self.errors) > 20


class Client(harness.HttpClient):
    """One integration's connection, timing each request by kind."""

    def __init__(self, port: int, secret: str, tally: Tally) -> None:
        super().__init__(port, secret)
        self.tally = tally

    def timed(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        start = time.perf_counter()
        answer = self.call(method, path, body)
        elapsed = (time.perf_counter() - start) * 1000
        with self.tally.lock:
            self.tally.latencies[kind].append(elapsed)
        return answer

    def work(self) -> None:
        rng = random.Random()
        idle = 0
        while not self.tally.done():
            status, page = self.timed("list", "GET", "/api/v1/tasks?scope=claimable&per_page=50")
            if status != 200:
                self._error(f"list answered {status}: {page}")
                continue
            waiting = page["tasks"]
            if not waiting:
                idle += 1
                if idle > 50:
                    return  # nothing left to do
                time.sleep(0.05)
                continue
            idle = 0
            # Threads pick at random from the queue, as people do, so they rarely race for the same task.
            for task in rng.sample(waiting, min(CLAIMS_PER_LIST, len(waiting))):
                if self.tally.done():
                    return
                self._claim_and_complete(task)

    def _claim_and_complete(self, task: dict[str, Any]) -> None:
        status, body = self.timed("claim", "POST", f"/api/v1/tasks/{task['id']}/claim")
        if status == 409:
            with self.tally.lock:
                self.tally.conflicts += 1
            return
        if status != 200:
            self._error(f"claim answered {status}: {body}")
            return
        answers = ANSWERS[task["title"]]
        status, body = self.timed("complete", "POST", f"/api/v1/tasks/{task['id']}/complete", {"data": answers})
        if status != 200:
            self._error(f"complete answered {status}: {body}")
            return
        with self.tally.lock:
            self.tally.completed += 1

    def lightest(self) -> None:
        """`GET /healthz` until the tally's target: counted as completed, to reuse the same loop."""
        while not self.tally.done():
            status, body = self.timed("lightest", "GET", "/healthz")
            if status != 200:
                self._error(f"healthz answered {status}: {body}")
                continue
            with self.tally.lock:
                self.tally.completed += 1

    def _error(self, message: str) -> None:
        with self.tally.lock:
            self.tally.errors.append(message)


def load(port: int, secrets: list[str], target: int, lightest: bool = False) -> tuple[Tally, float]:
    tally = Tally(target)
    clients = [Client(port, secret, tally) for secret in secrets]
    threads = [threading.Thread(target=client.lightest if lightest else client.work, daemon=True)
               for client in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    while alive := [thread for thread in threads if thread.is_alive()]:
        alive[0].join(timeout=5)  # one still working: a finished thread's join would not wait
        elapsed = time.perf_counter() - started
        say(f"  {tally.completed:,}/{target:,} completed, {tally.completed / elapsed:.0f}/s so far")
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - started


def commit_latency(url: str, samples: int = 200) -> list[float]:
    """Milliseconds per durable commit of a one-row update, as the server is configured: every audited
    transaction holds the audit chain's head row until its commit is on disk, so this bounds how many
    audited transactions can follow one another each second."""
    db = Database(url)
    try:
        with db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE bench_commit_probe (id INTEGER PRIMARY KEY, n INTEGER)"))
            connection.execute(text("INSERT INTO bench_commit_probe VALUES (1, 0)"))
        timings = []
        for n in range(samples):
            start = time.perf_counter()
            with db.engine.begin() as connection:
                connection.execute(text("UPDATE bench_commit_probe SET n = :n WHERE id = 1"), {"n": n})
            timings.append((time.perf_counter() - start) * 1000)
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE bench_commit_probe"))
        return timings
    finally:
        db.dispose()


def run(completions: int, clients: int, settings: list[str]) -> list[Figure]:
    if not harness.postgres_reachable():
        say("PostgreSQL is not reachable: the throughput benchmark needs it, so it did not run.")
        return []
    with harness.postgres_url() as url:
        say(f"Preparing {completions:,} completions ({-(-completions // 2):,} cases) for {clients} client threads")
        secrets = prepare(url, -(-completions // 2), clients)
        commits = commit_latency(url)
        with harness.gunicorn(url, WORKERS, settings) as port:
            say(f"gunicorn: {WORKERS} workers ({' '.join(settings) or 'sync'}) at 127.0.0.1:{port}; loading")
            before = harness.cpu_seconds()
            tally, elapsed = load(port, secrets, completions)
            after = harness.cpu_seconds()
            say(f"  the lightest request, {completions:,} times from the same {clients} clients")
            ceiling, ceiling_elapsed = load(port, secrets, completions, lightest=True)
    for error in (tally.errors + ceiling.errors)[:5]:
        say(f"  error: {error}")
    rate = tally.completed / elapsed
    requests = sum(len(v) for v in tally.latencies.values())
    say(f"  {tally.completed:,} completions in {elapsed:.1f} s ({rate:.0f}/s), {requests:,} requests, "
        f"{tally.conflicts} claim conflicts, {len(tally.errors)} errors")
    figures = [harness.at_least(f"completions per second ({WORKERS} gunicorn workers, {clients} clients)", rate, "/s",
                                GOAL_PER_SECOND)]
    for kind, samples in tally.latencies.items():
        if samples:
            figures.append(Figure(f"{kind} request latency p50", harness.percentile(samples, 0.5), "ms"))
            figures.append(Figure(f"{kind} request latency p95", harness.percentile(samples, 0.95), "ms"))
    figures.append(Figure("claim conflicts (another client claimed first)", tally.conflicts, "claims"))
    lightest_rate = ceiling.completed / ceiling_elapsed
    figures.append(Figure("(ceiling) the app's lightest request, GET /healthz, same server and clients", lightest_rate,
                          "/s"))
    figures.append(Figure("(ceiling) lightest request latency p95",
                          harness.percentile(ceiling.latencies["lightest"], 0.95), "ms"))
    figures.append(Figure("(ceiling) completions per second / lightest requests per second", rate / lightest_rate, "×"))
    commit_ms = harness.median(commits)
    figures.append(Figure("PostgreSQL durable commit, idle server (median)", commit_ms, "ms"))
    figures.append(Figure("PostgreSQL durable commit, idle server (p95)", harness.percentile(commits, 0.95), "ms"))
    # A completion is two audited transactions (claim, complete), each holding the chain's head to its commit.
    figures.append(Figure("ceiling from the audit chain: 1000 / (2 × median commit)", 1000 / (2 * commit_ms), "/s"))
    # Where the machine's time went while loading: CPU milliseconds per completion by kind of process. On
    # 2 cores, 300 completions/s leaves 6.7 ms of CPU per completion for all of them together.
    cores = os.cpu_count() or 1
    used = harness.cpu_used(before, after)
    for kind in ("gunicorn", "postgresql", "load client", "other"):
        figures.append(Figure(f"CPU per completion: {kind}", used.get(kind, 0.0) * 1000 / max(tally.completed, 1),
                              "ms"))
    idle = max(cores * elapsed - sum(used.values()), 0.0)
    figures.append(Figure(f"CPU per completion: idle ({cores} cores)", idle * 1000 / max(tally.completed, 1), "ms"))
    failed = len(tally.errors) + len(ceiling.errors)
    figures.append(Figure("failed requests", failed, "requests", "= 0", not failed))
    return figures


def main() -> int:
    def extra(parser: Any) -> None:
        parser.add_argument("--completions", type=int, help="how many completions to make")
        parser.add_argument("--clients", type=int, help="how many client threads")
        parser.add_argument("--profile", type=Path, metavar="FOLDER",
                            help="profile each gunicorn worker with pyinstrument, writing to FOLDER")
        parser.add_argument("--gunicorn", metavar="SETTINGS",
                            help="extra gunicorn settings, e.g. \"--worker-class gthread --threads 4\"")

    args = harness.arguments(__doc__.splitlines()[0], extra)
    completions = args.completions or (QUICK_COMPLETIONS if args.quick else FULL_COMPLETIONS)
    clients = args.clients or (QUICK_CLIENTS if args.quick else FULL_CLIENTS)
    settings = GUNICORN_SETTINGS if args.gunicorn is None else args.gunicorn.split()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        os.environ["BENCH_PROFILE_FOLDER"] = str(args.profile.resolve())
        settings = [*settings, "--config", "python:bench.gunicorn_profile"]
    figures = run(completions, clients, settings)
    harness.report("Throughput: claim and complete through the API under load", figures, [], args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
