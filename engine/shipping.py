"""The diagrams that ship with the product reach a council's database at set-up and at each upgrade,
without undoing the council's own changes.

A shipped diagram is deployed when its process is new, or when the product changed it since it was last
shipped and the council has not changed the process since. When both changed, nothing is deployed for
that process: an admin compares the two in the editor and decides. Versions deployed by a person are the
council's; versions deployed by the system (set-up, upgrades) are shipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import deployment, spiff
from engine.models import ProcessModelVersion

if TYPE_CHECKING:
    from engine.service import Actor, WorkflowService

NEW = "new"
UPDATED = "updated"
UNCHANGED = "unchanged"
KEPT = "kept"
"""The council changed the process and the product did not: the council's version stays."""
BOTH_CHANGED = "both changed"
"""The product and the council both changed it: left for an admin to reconcile."""


@dataclass(frozen=True)
class Shipped:
    process_id: str
    outcome: str
    version: int


def deploy_shipped(service: WorkflowService, folder: Path, actor: Actor | None = None) -> list[Shipped]:
    """Deploy the folder's diagrams that should be, as one validated deploy; say what became of each."""
    from engine.service import Actor

    diagrams, forms = deployment.read_folder(folder)
    decided: list[tuple[str, str, int]] = []
    chosen: list[deployment.Diagram] = []
    with service.db.read() as session:
        latest = deployment.latest_versions(session)
        for diagram in diagrams:
            digest = deployment.content_hash(diagram.content,
                                             deployment.forms_used(diagram.content, diagram.filename, forms))
            outcomes = [(pid, _outcome(session, latest.get(pid), digest)) for pid in _process_ids(diagram)]
            decided += [(pid, outcome, latest[pid].version if pid in latest else 0) for pid, outcome in outcomes]
            if any(outcome in (NEW, UPDATED) for _pid, outcome in outcomes):
                chosen.append(diagram)
    deployed = {d.process_id: d.version
                for d in (service.deploy(chosen, forms, actor or Actor.system()) if chosen else [])}
    return [Shipped(pid, outcome, deployed.get(pid, version)) for pid, outcome, version in decided]


def _process_ids(diagram: deployment.Diagram) -> list[str]:
    return spiff.add_diagram(spiff.new_parser(), diagram.content, diagram.filename)


def _outcome(session: Session, latest: ProcessModelVersion | None, digest: str) -> str:
    if latest is None:
        return NEW
    if latest.content_hash == digest:
        return UNCHANGED
    last_shipped = session.scalar(
        select(ProcessModelVersion.content_hash)
        .where(ProcessModelVersion.process_id == latest.process_id, ProcessModelVersion.created_by_id.is_(None))
        .order_by(ProcessModelVersion.version.desc()).limit(1))
    council_changed = latest.created_by_id is not None
    if not council_changed:
        return UPDATED
    return KEPT if last_shipped == digest else BOTH_CHANGED


_SAID = {
    NEW: "version {version} (new)",
    UPDATED: "version {version} (the product's new version)",
    UNCHANGED: "version {version} (unchanged)",
    KEPT: "version {version} (the council's own version, kept)",
    BOTH_CHANGED: "version {version} kept: the product and the council both changed this process. Compare "
                  "them in the diagram editor and deploy the one you want.",
}


def describe(results: list[Shipped]) -> list[str]:
    """A line per process, for the command line."""
    return [f"{r.process_id}: " + _SAID[r.outcome].format(version=r.version) for r in results]
