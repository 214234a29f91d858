"""Which sequence flows the tests take. After each test, every instance's stored state is read: a task
that was reached, and the nearest diagram element above it in the task tree, name the flow between them.
At the end of a full run of this folder, any flow no test took fails the run, named."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# SpiffWorkflow's task states that mean "the token got here": waiting, ready, started, completed, error.
REACHED = {8, 16, 32, 64, 128}
COMPLETED = 64
CACHE_DIR = "flow-coverage"


def flows_in(folder: Path) -> dict[str, dict[tuple[str, str], tuple[str, str]]]:
    """process id → (source, target) → (flow id, a readable description)."""
    found: dict[str, dict[tuple[str, str], tuple[str, str]]] = {}
    for path in sorted(folder.glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for process in root.iter(f"{BPMN}process"):
            names = {e.get("id"): e.get("name") or e.get("id") for e in process.iter() if e.get("id")}
            found[process.get("id")] = {
                (f.get("sourceRef"), f.get("targetRef")):
                    (f.get("id"), f"{names[f.get('sourceRef')]} → {names[f.get('targetRef')]}"
                                  + (f" ({f.get('name')})" if f.get("name") else ""))
                for f in process.iter(f"{BPMN}sequenceFlow")}
    return found


def taken(process_id: str, state: dict[str, Any], flows: dict[str, dict[tuple[str, str], tuple[str, str]]]) -> set[str]:
    result: set[str] = set()
    workflows = [(process_id, state["tasks"])]
    workflows += [(sub.get("spec", ""), sub.get("tasks", {})) for sub in state.get("subprocesses", {}).values()]
    for pid, tasks in workflows:
        pairs = flows.get(pid, {})
        elements = {source for source, _ in pairs} | {target for _, target in pairs}
        outgoing: dict[str, list[str]] = {}
        for (source, _), (flow_id, _) in pairs.items():
            outgoing.setdefault(source, []).append(flow_id)
        for task in tasks.values():
            # A completed element with one way out passed its token along it (a join may keep no trace).
            if task["state"] == COMPLETED and len(outgoing.get(task["task_spec"], [])) == 1:
                result.add(f"{pid}:{outgoing[task['task_spec']][0]}")
            if task["state"] not in REACHED or task["task_spec"] not in elements:
                continue
            parent = tasks.get(task["parent"]) if task["parent"] else None
            while parent is not None and parent["task_spec"] not in elements:
                parent = tasks.get(parent["parent"]) if parent["parent"] else None
            if parent is not None and (parent["task_spec"], task["task_spec"]) in pairs:
                result.add(f"{pid}:{pairs[(parent['task_spec'], task['task_spec'])][0]}")
    return result


_FLOWS: dict[str, dict[tuple[str, str], tuple[str, str]]] = {}


def record(config: pytest.Config, diagrams: Path, states: Iterable[tuple[str, dict[str, Any]]]) -> None:
    if not hasattr(config, "cache"):
        return
    if not _FLOWS:
        _FLOWS.update(flows_in(diagrams))
    seen: set[str] = set()
    for process_id, state in states:
        if state:
            seen |= taken(process_id, state, _FLOWS)
    folder = config.cache.mkdir(CACHE_DIR)
    with open(folder / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(sorted(seen)) + "\n")


def start(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or not hasattr(config, "cache"):
        return
    for path in config.cache.mkdir(CACHE_DIR).glob("*.jsonl"):
        path.unlink()


def _whole_folder_ran(session: pytest.Session, folder: Path) -> bool:
    options = session.config.option
    if session.testsfailed or getattr(options, "keyword", "") or getattr(options, "markexpr", "") \
            or getattr(options, "deselect", None) or getattr(options, "ignore", None) \
            or getattr(options, "lf", False):
        return False
    arguments = session.config.args or [str(session.config.rootpath)]
    for argument in arguments:
        if "::" in argument:
            return False
        path = Path(argument)
        path = path if path.is_absolute() else Path(session.config.invocation_params.dir) / path
        if path.resolve() == folder.resolve() or path.resolve() in folder.resolve().parents:
            return True
    return False


def finish(session: pytest.Session, folder: Path, diagrams: Path) -> None:
    """Fail a full run that leaves a sequence flow untaken, naming each one."""
    if hasattr(session.config, "workerinput") or not hasattr(session.config, "cache") \
            or not _whole_folder_ran(session, folder):
        return
    seen: set[str] = set()
    for path in session.config.cache.mkdir(CACHE_DIR).glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            seen |= set(json.loads(line))
    missing = [f"{pid}: {flow_id} ({description})" for pid, pairs in flows_in(diagrams).items()
               for flow_id, description in pairs.values() if f"{pid}:{flow_id}" not in seen]
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = ["", "Sequence flows no test takes:", *(f"  {m}" for m in missing)]
        if reporter is not None:
            reporter.write_line("\n".join(lines), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
