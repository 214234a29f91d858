"""Processes that start themselves on a timer (the quarterly briefing cycle): each needs one instance
waiting at its timer start event, started once per deployment."""

from __future__ import annotations

from engine.service import Actor, WorkflowService

SELF_STARTING = ("briefing_cycle",)


def ensure_running(service: WorkflowService) -> list[str]:
    """Start each self-starting process that has no running instance; returns lines of progress."""
    lines = []
    for process_id in SELF_STARTING:
        if service.running_count(process_id) == 0:
            service.start(process_id, {}, Actor.system())
            lines.append(f"Started {process_id}: it waits for its timer")
    return lines
