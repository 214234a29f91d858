"""Timer benchmark: many waiting instances, some due.

    .venv/bin/python -m bench.timers [WAITING] [DUE]        (defaults 100000 and 10000)
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.timers

Measures (goals from the scheduler issue):
1. a sweep with nothing due among WAITING instances: no instance deserialised;
2. time until DUE due instances have all fired (goal ≤ 60 s);
3. latency of one timer from its due time to its commit, with the scheduler running (goal ≤ 1 s).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from sqlalchemy import insert, select, update

from engine import clock, spiff
from engine.catalogue import Catalogue
from engine.db import Database
from engine.models import Instance
from engine.scheduler import TimerScheduler
from engine.service import Actor, WorkflowService

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="bench_defs"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="bench_wait" name="Wait {duration}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"{duration}"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CATALOGUE = Catalogue(roles={}, lane_roles={}, settings={})


def deploy(service: WorkflowService, folder: Path, duration: str) -> None:
    (folder / "bench_wait.bpmn").write_text(DIAGRAM.format(duration=duration))
    service.deploy_folder(folder)


def fill(service: WorkflowService, waiting: int, due: int) -> None:
    """One real instance, copied: `due` of them due an hour after T0, the rest a month later."""
    with time_machine.travel(T0, tick=False):
        template_id = service.start("bench_wait", {}, Actor.system()).instance_id
    with service.db.read() as session:
        template = session.get(Instance, template_id)
        row = {c: getattr(template, c) for c in ("process_id", "model_version_id", "spec_bundle_id", "state",
                                                  "status", "created_at", "updated_at")}
    soon, later = T0 + timedelta(hours=1), T0 + timedelta(days=30)
    chunk = 5000
    made = 1
    with service.db.write() as session:
        session.execute(update(Instance).where(Instance.id == template_id).values(next_wake_at=soon))
    while made < waiting:
        n = min(chunk, waiting - made)
        rows = [{**row, "next_wake_at": soon if made + i < due else later, "lock_version": 1, "wake_attempts": 0}
                for i in range(n)]
        with service.db.write() as session:
            session.execute(insert(Instance), rows)
        made += n
        print(f"  {made:,} instances waiting", end="\r", flush=True)
    print()


def main() -> None:
    waiting = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    due = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    folder = Path(tempfile.mkdtemp(prefix="cs-bench-"))
    # Stopped from outside, still remove the folder (the `finally` below runs).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        run(folder, waiting, due)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, waiting: int, due: int) -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    db = Database(url)
    db.upgrade()
    service = WorkflowService(db, CATALOGUE)
    deploy(service, folder, "PT1H")
    print(f"Database: {db.url.render_as_string(hide_password=True)}")
    print(f"Creating {waiting:,} waiting instances, {due:,} of them due…")
    fill(service, waiting, due)
    scheduler = TimerScheduler(service, batch=1000)

    loads = 0
    real_load = spiff.load

    def counting_load(*args: object, **kwargs: object) -> object:
        nonlocal loads
        loads += 1
        return real_load(*args, **kwargs)

    spiff.load = counting_load  # type: ignore[assignment]
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        started = time.perf_counter()
        fired = scheduler.fire_due()
        idle = time.perf_counter() - started
    print(f"1. Sweep with 0 due among {waiting:,}: {idle * 1000:.1f} ms, {fired} fired, {loads} deserialised "
          f"(goal: 0)")

    with time_machine.travel(T0 + timedelta(hours=1, seconds=1), tick=False):
        started = time.perf_counter()
        fired = 0
        while True:
            batch = scheduler.fire_due(limit=1000)
            if not batch:
                break
            fired += batch
            print(f"  {fired:,} fired, {time.perf_counter() - started:.1f} s", end="\r", flush=True)
        elapsed = time.perf_counter() - started
    print(f"\n2. {fired:,} due instances fired in {elapsed:.1f} s ({fired / elapsed:.0f}/s; goal ≤ 60 s)")
    spiff.load = real_load  # type: ignore[assignment]

    deploy(service, folder, "PT2S")
    done = threading.Event()
    scheduler.on_tick = lambda count: done.set() if count else None
    service.after_commit = scheduler.nudge  # as `serve` wires it (web/cli.py)
    scheduler.start()
    instance_id = service.start("bench_wait", {}, Actor.system()).instance_id
    due_at = service.instance(instance_id).next_wake_at
    done.wait(timeout=30)
    scheduler.shutdown()
    with db.read() as session:
        fired_at = session.scalar(select(Instance.updated_at).where(Instance.id == instance_id))
    print(f"3. One timer: due {due_at:%H:%M:%S.%f}, committed {fired_at:%H:%M:%S.%f}: "
          f"{(fired_at - due_at).total_seconds() * 1000:.0f} ms late (goal ≤ 1000 ms; now {clock.now():%H:%M:%S})")
    db.dispose()

if __name__ == "__main__":
    main()
