"""Growth: the time to complete a task in an instance that already has 10, 100 and 1,000 completed tasks
(a check-in that loops, like wellbeing check-ins) must stay flat, because the engine prunes finished history.
The three instances are completed in turn, so the ratio compares like with like on a shared machine.

    .venv/bin/python -m bench.growth [--quick] [--json out.json] [--database sqlite|postgresql]
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench import harness
from bench.harness import Figure, say
from engine.db import Database
from engine.people import create_user
from engine.service import Actor, WorkflowService
from processes import CATALOGUE
from processes.roles import COUNCILLOR, ROLES

DIAGRAMS = Path(__file__).resolve().parent / "diagrams"
PROCESS = "check_in_loop"
GOAL_RATIO = 1.5
FULL_MILESTONES, QUICK_MILESTONES = (10, 100, 1000), (10, 30)
FULL_WINDOW, QUICK_WINDOW = 60, 5
ANSWER = {"finished": False, "note": "Fine"}


def check_in_loop(db: Database) -> tuple[WorkflowService, Actor]:
    """The check-in loop deployed, and the councillor it asks: where every completion benchmark starts."""
    service = WorkflowService(db, CATALOGUE)
    service.deploy_folder(DIAGRAMS)
    with db.write() as session:
        councillor = create_user(session, email="councillor@example.org", name="Councillor", password=None,
                                 roles=[COUNCILLOR], known_roles=ROLES)
        return service, Actor.of(councillor)


def grow(db: Database, milestones: tuple[int, ...], window: int, label: str) -> list[Figure]:
    """One instance per milestone, each brought to that many completed tasks; then the instances are
    completed in turn, `window` rounds, so a busy moment on the machine falls on all of them alike."""
    service, actor = check_in_loop(db)
    waiting: dict[int, str] = {}
    sizes: dict[int, int] = {}
    for milestone in milestones:  # build up history, untimed
        outcome = service.open_case({}, councillor_id=actor.user_id, actor=actor, process_id=PROCESS)
        task_id = outcome.opened[0].id
        for _ in range(milestone):
            task_id = service.complete_task(task_id, ANSWER, actor).opened[0].id
        waiting[milestone] = task_id
        sizes[milestone] = len(json.dumps(service.instance(outcome.instance_id).state))
        say(f"  {label}: an instance with {milestone} completed tasks, state {sizes[milestone] / 1024:.1f} KiB")
    samples: dict[int, list[float]] = {m: [] for m in milestones}
    for _ in range(window):
        for milestone in milestones:
            start = time.perf_counter()
            waiting[milestone] = service.complete_task(waiting[milestone], ANSWER, actor).opened[0].id
            samples[milestone].append((time.perf_counter() - start) * 1000)
    medians = {m: harness.median(samples[m]) for m in milestones}
    for milestone in milestones:
        say(f"  {label}: after {milestone:>5} completed tasks: {medians[milestone]:.2f} ms per completion "
            f"(median of {window})")
    first, last = milestones[0], milestones[-1]
    figures = [Figure(f"{label}: completion after {m} completed tasks", medians[m], "ms") for m in milestones]
    figures += [Figure(f"{label}: serialized state after {m} completed tasks", sizes[m] / 1024, "KiB")
                for m in milestones]
    figures.append(harness.at_most(f"{label}: completion time ratio, {last} vs {first} completed tasks",
                                   medians[last] / medians[first], "×", GOAL_RATIO))
    return figures


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], lambda parser: parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], help="only this database"))
    milestones, window = (QUICK_MILESTONES, QUICK_WINDOW) if args.quick else (FULL_MILESTONES, FULL_WINDOW)
    figures: list[Figure] = []
    for label, opener in harness.databases(args.database):
        with opener() as db:
            figures += grow(db, milestones, window, label)
    harness.report("Growth: completion time against an instance's history", figures, [], args.json)
    return harness.exit_code(figures)


if __name__ == "__main__":
    raise SystemExit(main())
