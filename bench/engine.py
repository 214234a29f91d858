"""Engine overhead: one user task completed through the service API (load, step, persist, project, audit)
against raw SpiffWorkflow on the same diagram (restore, complete, run, serialise), in one run; plus the
serialized state size and how completion time grows with an instance's completed tasks.

    .venv/bin/python bench/engine.py [--quick] [--json out.json] [--database sqlite|postgresql]

The raw side is engine/raw_baseline.py: SpiffWorkflow used directly, as its documentation shows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file, bench/ would come first on the path and this file would shadow the engine package.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import growth, harness
from bench.harness import Figure, say
from engine.db import Database
from engine.people import create_user
from engine.raw_baseline import RawEngine
from engine.service import Actor, WorkflowService
from processes import CATALOGUE
from processes.roles import COUNCILLOR, ROLES

DIAGRAMS = growth.DIAGRAMS
PROCESS = growth.PROCESS
ANSWER = {"finished": False, "note": "Fine"}
GOAL_RATIO, STRETCH_RATIO = 3.0, 2.0
FULL_REPEAT, QUICK_REPEAT = 300, 30


def service_side(db: Database, repeat: int, label: str) -> tuple[list[float], int]:
    """Milliseconds per completion through WorkflowService.complete_task, each on a fresh case (so history
    does not grow), and the stored state's size."""
    service = WorkflowService(db, CATALOGUE)
    service.deploy_folder(DIAGRAMS)
    with db.write() as session:
        councillor = create_user(session, email="councillor@example.org", name="Councillor", password=None,
                                 roles=[COUNCILLOR], known_roles=ROLES)
        actor = Actor.of(councillor)
    say(f"  {label}: opening {repeat + 5} cases")
    waiting = [service.open_case({}, councillor_id=actor.user_id, actor=actor, process_id=PROCESS)
               for _ in range(repeat + 5)]
    tasks = iter([outcome.opened[0].id for outcome in waiting])
    say(f"  {label}: completing one task in each")
    samples = harness.timed(lambda: service.complete_task(next(tasks), ANSWER, actor), repeat)
    size = len(json.dumps(service.instance(waiting[-1].instance_id).state))
    return samples, size


def measure(db: Database, raw_ms: float, repeat: int, label: str) -> list[Figure]:
    samples, size = service_side(db, repeat, label)
    service_ms = harness.median(samples)
    ratio = service_ms / raw_ms
    say(f"  {label}: service {service_ms:.2f} ms (p95 {harness.percentile(samples, 0.95):.2f}), "
        f"raw {raw_ms:.2f} ms, ratio {ratio:.2f}×, stored state {size / 1024:.1f} KiB")
    return [Figure(f"{label}: completion through the service (median)", service_ms, "ms"),
            Figure(f"{label}: completion through the service (p95)", harness.percentile(samples, 0.95), "ms"),
            harness.at_most(f"{label}: service / raw SpiffWorkflow", ratio, "×", GOAL_RATIO),
            Figure(f"{label}: stretch goal ≤ {STRETCH_RATIO:g}× met", float(ratio <= STRETCH_RATIO), "yes=1"),
            Figure(f"{label}: stored state of a waiting instance", size / 1024, "KiB")]


def table(figures: list[Figure]) -> None:
    width = max(len(f.name) for f in figures)
    say(f"\n{'figure'.ljust(width)}  {'value':>10}  unit  goal")
    for figure in figures:
        verdict = "" if figure.passed is None else (" PASS" if figure.passed else " MISS")
        say(f"{figure.name.ljust(width)}  {figure.value:>10.3f}  {figure.unit:<4}  {figure.goal}{verdict}")


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], lambda parser: parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], help="only this database"))
    repeat = QUICK_REPEAT if args.quick else FULL_REPEAT
    say("raw SpiffWorkflow: parsing once, then restore → complete → run → serialise")
    raw = RawEngine(DIAGRAMS / f"{PROCESS}.bpmn", PROCESS, ANSWER)
    raw_samples = harness.timed(raw.complete_one, repeat)
    raw_ms = harness.median(raw_samples)
    raw_size = len(raw.complete_one())
    say(f"  raw: {raw_ms:.2f} ms per completion (median of {repeat}), serialized {raw_size / 1024:.1f} KiB "
        "(with its specs)")
    figures = [Figure("raw SpiffWorkflow completion (median)", raw_ms, "ms"),
               Figure("raw SpiffWorkflow serialized workflow, specs included", raw_size / 1024, "KiB")]
    milestones, window = ((growth.QUICK_MILESTONES, growth.QUICK_WINDOW) if args.quick
                          else (growth.FULL_MILESTONES, growth.FULL_WINDOW))
    for label, opener in harness.databases(args.database):
        say(f"{label}: service API")
        with opener() as db:
            figures += measure(db, raw_ms, repeat, label)
        say(f"{label}: growth with completed tasks {', '.join(map(str, milestones))}")
        with opener() as db:
            figures += growth.grow(db, milestones, window, label)
    table(figures)
    harness.report("Engine: service API against raw SpiffWorkflow", figures, [], args.json)
    return harness.exit_code(figures)


if __name__ == "__main__":
    raise SystemExit(main())
