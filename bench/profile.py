"""Profiles one request kind with pyinstrument, in-process through the app's WSGI stack (Flask's test
client: everything gunicorn runs except the socket), and prints the frames that take the time.

    .venv/bin/python -m bench.profile complete [--database sqlite|postgresql] [--repeat 300]
    .venv/bin/python -m bench.profile inbox --instances 100000     # the inbox page, the real data's size
    .venv/bin/python -m bench.profile api-list --instances 100000  # GET /api/v1/tasks?scope=claimable

Not a benchmark (bench/run.py skips it): the tool that found the fixes in bench/PROFILES.md.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pyinstrument import Profiler

from bench import growth, harness, inbox
from bench.engine import ANSWER, PROCESS
from bench.harness import say
from engine import tokens
from engine.db import Database


@contextmanager
def profiled(label: str, repeat: int, interval: float) -> Iterator[Profiler]:
    profiler = Profiler(interval=interval)
    started = time.perf_counter()
    profiler.start()
    try:
        yield profiler
    finally:
        profiler.stop()
        elapsed = (time.perf_counter() - started) * 1000
        say(f"\n== {label}: {repeat} requests, {elapsed / repeat:.2f} ms each (profiled)\n")


def completions(db: Database, repeat: int) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """(warm-up, request): each request completes the next waiting check-in through the API."""
    service, actor = growth.check_in_loop(db)
    with db.write() as session:
        secret = tokens.create_token(session, actor.user_id, "profile")
    say(f"opening {repeat + 20} cases")
    task_ids = iter([service.open_case({}, councillor_id=actor.user_id, actor=actor, process_id=PROCESS).opened[0].id
                     for _ in range(repeat + 20)])
    client = inbox.build_app(db).test_client()
    headers = {"Authorization": f"Bearer {secret}"}

    def request() -> None:
        task_id = next(task_ids)
        response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": ANSWER}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)

    return (lambda: [request() for _ in range(20)]), request


def reads(db: Database, instances: int, url: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
    people = inbox.load(db, inbox.Size(instances=instances, requests=0))
    app = inbox.build_app(db)
    client = inbox.signed_in(app, people.officer)
    headers = {"Authorization": f"Bearer {people.token}"} if url.startswith("/api/") else {}

    def request() -> None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]

    return (lambda: [request() for _ in range(20)]), request


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["complete", "inbox", "api-list"])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--instances", type=int, default=10_000, help="inbox and api-list: instances loaded")
    parser.add_argument("--tab", default="all", help="inbox: which tab; api-list: which scope")
    parser.add_argument("--interval", type=float, default=0.0002, help="sampling interval in seconds")
    parser.add_argument("--flat", type=int, default=25, help="also print this many frames by own time")
    args = parser.parse_args()
    [(label, opener)] = list(harness.databases(args.database))
    with opener() as db:
        if args.kind == "complete":
            warm, request = completions(db, args.repeat)
        elif args.kind == "inbox":
            warm, request = reads(db, args.instances, f"/inbox?tab={args.tab}")
        else:
            warm, request = reads(db, args.instances, f"/api/v1/tasks?scope={args.tab}")
        warm()
        with profiled(f"{label} {args.kind}", args.repeat, args.interval) as profiler:
            for _ in range(args.repeat):
                request()
    print(profiler.output_text(unicode=True, color=False, short_mode=False,
                               processor_options={"filter_threshold": 0.02}))
    if args.flat:
        flat = profiler.output_text(unicode=True, color=False, flat=True)
        print("\n".join(flat.splitlines()[: args.flat + 6]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
