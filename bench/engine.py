"""Engine overhead: one user task completed through the HTTP API (`POST /api/v1/tasks/{id}/complete` to
gunicorn on loopback, as README.md deploys it) against the raw SpiffWorkflow step on the same diagram
(restore, complete, run, serialise), measured in one run, alternating, so both see the same machine.

    .venv/bin/python -m bench.engine [--quick] [--json out.json] [--database sqlite|postgresql]

The goal's ratio is HTTP API / raw SpiffWorkflow. Two more figures show where the difference goes, each
labelled as what it is and never judged in the goal's place: the same completion through the service
called in-process (no HTTP, no token), and a persisted raw baseline (the raw step plus one durable read
and write of its JSON in the same database: no sandbox, projection, audit, lock or authentication).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from bench import growth, harness
from bench.harness import Figure, say
from engine import tokens
from engine.db import Database
from engine.raw_baseline import RawEngine

DIAGRAMS = growth.DIAGRAMS
PROCESS = growth.PROCESS
ANSWER = growth.ANSWER
GOAL_RATIO, STRETCH_RATIO = 3.0, 2.0
FULL_REPEAT, QUICK_REPEAT = 300, 20
WARM_UP = 10
SCRATCH = "bench_raw_state"


class Sides:
    """What one round times: each side completes one waiting check-in its own way."""

    def __init__(self, db: Database, port: int, repeat: int) -> None:
        self.db = db
        self.raw = RawEngine(DIAGRAMS / f"{PROCESS}.bpmn", PROCESS, ANSWER)
        self.service, self.actor = growth.check_in_loop(db)
        with db.write() as session:
            secret = tokens.create_token(session, self.actor.user_id, "benchmark")
        self.client = harness.HttpClient(port, secret)
        rounds = repeat + WARM_UP
        say(f"  opening {2 * rounds} cases (one for the API, one for the in-process service, each round)")
        opened = [self.service.open_case({}, councillor_id=self.actor.user_id, actor=self.actor, process_id=PROCESS)
                  for _ in range(2 * rounds)]
        self.api_tasks = iter([o.opened[0].id for o in opened[:rounds]])
        self.service_tasks = iter([o.opened[0].id for o in opened[rounds:]])
        self.last_instance = opened[-1].instance_id
        with db.engine.begin() as connection:
            connection.execute(text(f"CREATE TABLE {SCRATCH} (id INTEGER PRIMARY KEY, state TEXT NOT NULL)"))
            connection.execute(text(f"INSERT INTO {SCRATCH} (id, state) VALUES (1, :s), (2, :s)"),
                               {"s": self.raw.waiting})

    def raw_step(self) -> None:
        self.raw.complete_one()

    def persisted_raw_step(self) -> None:
        """The raw step with one durable read and write of the workflow's JSON: the least any persistent
        engine does (but no sandbox, projection, audit event, lock version or authentication)."""
        with self.db.engine.begin() as connection:
            waiting = connection.execute(text(f"SELECT state FROM {SCRATCH} WHERE id = 1")).scalar_one()
            done = self.raw.complete_json(waiting)
            connection.execute(text(f"UPDATE {SCRATCH} SET state = :s WHERE id = 2"), {"s": done})

    def api_step(self) -> None:
        task_id = next(self.api_tasks)
        status, body = self.client.call("POST", f"/api/v1/tasks/{task_id}/complete", {"data": ANSWER})
        if status != 200:
            raise RuntimeError(f"POST /api/v1/tasks/{task_id}/complete answered {status}: {body}")

    def service_step(self) -> None:
        self.service.complete_task(next(self.service_tasks), ANSWER, self.actor)

    def lightest_request(self) -> None:
        status, body = self.client.call("GET", "/healthz")
        if status != 200:
            raise RuntimeError(f"GET /healthz answered {status}: {body}")


def alternate(steps: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Milliseconds per call of each step, the steps taken in turn each round, after unmeasured rounds."""
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for round_number in range(repeat + WARM_UP):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            elapsed = (time.perf_counter() - start) * 1000
            if round_number >= WARM_UP:
                samples[name].append(elapsed)
        if (round_number + 1) % 100 == 0:
            say(f"    {round_number + 1}/{repeat + WARM_UP} rounds")
    return samples


def measure(label: str, url: str, db: Database, repeat: int) -> list[Figure]:
    with harness.gunicorn(url, workers=1) as port:
        sides = Sides(db, port, repeat)
        say(f"  {label}: {repeat} rounds of raw step, persisted raw step, HTTP API completion, service call")
        samples = alternate({"raw": sides.raw_step, "persisted": sides.persisted_raw_step, "api": sides.api_step,
                             "service": sides.service_step, "lightest": sides.lightest_request}, repeat)
    size = len(json.dumps(sides.service.instance(sides.last_instance).state))
    m = {name: harness.median(values) for name, values in samples.items()}
    ratio = m["api"] / m["raw"]
    floor = m["lightest"] + m["persisted"]
    say(f"  {label}: raw {m['raw']:.2f} ms, persisted raw {m['persisted']:.2f} ms, HTTP API {m['api']:.2f} ms "
        f"(p95 {harness.percentile(samples['api'], 0.95):.2f}), service in-process {m['service']:.2f} ms, "
        f"lightest request {m['lightest']:.2f} ms; HTTP API / raw {ratio:.2f}×, floor / raw {floor / m['raw']:.2f}×")
    return [
        Figure(f"{label}: raw SpiffWorkflow step (median)", m["raw"], "ms"),
        Figure(f"{label}: completion through the HTTP API (median)", m["api"], "ms"),
        Figure(f"{label}: completion through the HTTP API (p95)", harness.percentile(samples["api"], 0.95), "ms"),
        harness.at_most(f"{label}: HTTP API / raw SpiffWorkflow", ratio, "×", GOAL_RATIO),
        Figure(f"{label}: stretch goal ≤ {STRETCH_RATIO:g}× met", float(ratio <= STRETCH_RATIO), "yes=1"),
        Figure(f"{label}: (breakdown) service called in-process, no HTTP (median)", m["service"], "ms"),
        Figure(f"{label}: (breakdown) service in-process / raw SpiffWorkflow", m["service"] / m["raw"], "×"),
        Figure(f"{label}: (extra) persisted raw baseline: raw step + one durable read and write (median)",
               m["persisted"], "ms"),
        Figure(f"{label}: (extra) HTTP API / persisted raw baseline", m["api"] / m["persisted"], "×"),
        Figure(f"{label}: (floor) the app's lightest request, GET /healthz, through the same gunicorn (median)",
               m["lightest"], "ms"),
        Figure(f"{label}: (floor) lightest request + persisted raw baseline, / raw SpiffWorkflow", floor / m["raw"],
               "×"),
        Figure(f"{label}: (floor) what the goal leaves for the lock, projection, audit and email",
               GOAL_RATIO * m["raw"] - floor, "ms"),
        Figure(f"{label}: stored state of a waiting instance", size / 1024, "KiB"),
    ]


def table(figures: list[Figure]) -> None:
    width = max(len(f.name) for f in figures)
    say(f"\n{'figure'.ljust(width)}  {'value':>10}  unit  goal")
    for figure in figures:
        verdict = "" if figure.passed is None else (" PASS" if figure.passed else " MISS")
        say(f"{figure.name.ljust(width)}  {figure.value:>10.3f}  {figure.unit:<4}  {figure.goal}{verdict}")


def main() -> int:
    def extra(parser: Any) -> None:
        parser.add_argument("--database", choices=["sqlite", "postgresql"], help="only this database")
        parser.add_argument("--repeat", type=int, help="rounds to time")

    args = harness.arguments(__doc__.splitlines()[0], extra)
    repeat = args.repeat or (QUICK_REPEAT if args.quick else FULL_REPEAT)
    raw = RawEngine(DIAGRAMS / f"{PROCESS}.bpmn", PROCESS, ANSWER)
    figures = [Figure("raw SpiffWorkflow serialized workflow, specs included", len(raw.complete_one()) / 1024,
                      "KiB")]
    for label, url_of in harness.database_urls(args.database):
        say(f"{label}: gunicorn (1 worker) on loopback against raw SpiffWorkflow")
        with url_of() as url:
            db = Database(url)
            try:
                figures += measure(label, url, db, repeat)
            finally:
                db.dispose()
    table(figures)
    harness.report("Engine: completion through the HTTP API against raw SpiffWorkflow", figures, [], args.json)
    return harness.exit_code(figures)


if __name__ == "__main__":
    raise SystemExit(main())
