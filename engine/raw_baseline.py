"""SpiffWorkflow used directly, as its own documentation shows (no sandbox, no database): the yardstick the
benchmarks measure the service API against. Nothing in the product runs it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState


class RawEngine:
    """One diagram parsed once; `complete_one` restores the waiting workflow, completes its user task with
    `answer`, runs engine steps and serialises again, as an application on the bare library would."""

    def __init__(self, diagram: Path, process_id: str, answer: Mapping[str, Any]) -> None:
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(diagram))
        self.spec = parser.get_spec(process_id)
        self.subprocess_specs = parser.get_subprocess_specs(process_id)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.answer = dict(answer)
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
        workflow.do_engine_steps()
        self.waiting = self.serializer.serialize_json(workflow)

    def complete_one(self) -> str:
        return self.complete_json(self.waiting)

    def complete_json(self, waiting: str) -> str:
        """The same step from a given serialised waiting workflow (as read back from storage)."""
        workflow = self.serializer.deserialize_json(waiting)
        [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
        task.set_data(**self.answer)
        task.run()
        workflow.do_engine_steps()
        return self.serializer.serialize_json(workflow)
