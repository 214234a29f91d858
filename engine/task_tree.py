"""Keeps a long-running instance's task tree short.

SpiffWorkflow keeps every task it ever ran, each with a copy of the data, as one chain that grows with
every loop (a wellbeing check-in every 28 days, a police follow-up every 14). Unpruned, an instance gets
slower to load with each iteration, and past about a thousand levels SpiffWorkflow's task iterator stops
finding ready tasks at all. The history is kept elsewhere (the audit log), so we cut what the engine can
no longer need: finished tasks that lie above every unfinished task, beyond a window of recent levels.
Tasks near the active ones are kept, so joins and boundary events still find the splits they look for.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState

KEEP_LEVELS = 12
"""Finished levels kept above the active part of the tree (a boundary join looks two levels up)."""


def prune(workflow: Any, keep_levels: int = KEEP_LEVELS) -> int:
    """Prune the workflow and each running subprocess; returns how many tasks were removed."""
    removed = _prune_tree(workflow, workflow, keep_levels)
    for subprocess in list(workflow.subprocesses.values()):
        removed += _prune_tree(subprocess, workflow, keep_levels)
    return removed


def _prune_tree(workflow: Any, top: Any, keep_levels: int) -> int:
    unfinished = [t for t in workflow.tasks.values() if t.has_state(TaskState.NOT_FINISHED_MASK)]
    if not unfinished:
        return 0
    path = _path_to_common_ancestor(unfinished)
    # path runs root → common ancestor; the root and its children stay, as do the last `keep_levels`.
    removed = 0
    for index in range(2, len(path) - keep_levels):
        task = path[index]
        if task is not workflow.last_task and task.has_state(TaskState.FINISHED_MASK):
            removed += _splice_out(workflow, top, task, path[index + 1])
    return removed


def _path_to_common_ancestor(tasks: list[Any]) -> list[Any]:
    """The root-to-ancestor path of the deepest task that is an ancestor of (or is) every given task."""
    def lineage(task: Any) -> list[Any]:
        chain = []
        while task is not None:
            chain.append(task)
            task = task.parent
        return chain[::-1]

    common = lineage(tasks[0])
    for task in tasks[1:]:
        other = lineage(task)
        length = 0
        for mine, theirs in zip(common, other, strict=False):
            if mine is not theirs:
                break
            length += 1
        common = common[:length]
    return common


def _splice_out(workflow: Any, top: Any, task: Any, child: Any) -> int:
    """Remove a finished task and its finished side branches, joining its parent to its on-path child."""
    parent = task.parent
    removed = 0
    for side in task.children:
        if side is not child:
            removed += _drop_subtree(workflow, top, side)
    parent._children = [child.id if c == task.id else c for c in parent._children]
    child._parent = parent.id
    _forget(workflow, top, task)
    return removed + 1


def _drop_subtree(workflow: Any, top: Any, task: Any) -> int:
    stack, count = [task], 0
    while stack:
        current = stack.pop()
        stack.extend(current.children)
        _forget(workflow, top, current)
        count += 1
    return count


def _forget(workflow: Any, top: Any, task: Any) -> None:
    workflow.tasks.pop(task.id, None)
    # A finished call activity's subprocess goes with it.
    top.subprocesses.pop(task.id, None)
