"""Drafts: an admin's unfinished diagram or form, kept on the server so work survives a closed tab and
another admin can pick it up. A draft may still have problems (that is what makes it a draft), but it is
always safe to store: size-capped, and a diagram draft is well-formed XML without DTDs or entities.
Drafts never run; deploying one makes a version and removes the draft."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import audit, clock, spiff
from engine.errors import Conflict, EngineError, NotFound
from engine.models import Draft as DraftRow
from engine.models import User

if TYPE_CHECKING:
    from engine.service import Actor, WorkflowService

DIAGRAM = "diagram"
FORM = "form"
MAX_DRAFT_BYTES = 2 * 1024 * 1024
_NAMES = {
    DIAGRAM: re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\.bpmn$"),
    FORM: re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\.json$"),
}


@dataclass(frozen=True)
class Draft:
    kind: str
    name: str
    content: str
    version: int
    updated_at: datetime
    updated_by: str


def check_name(kind: str, name: str) -> None:
    """Raise unless `name` is a file name a draft of this kind may have (letters, digits, `_.-`)."""
    if kind not in _NAMES:
        raise EngineError(f"There is no kind of draft called {kind!r}.", field="kind")
    if not _NAMES[kind].match(name):
        ending = ".bpmn" if kind == DIAGRAM else ".json"
        raise EngineError(f"Give the file a name of letters, digits, dots, dashes or underscores ending "
                          f"in {ending}, up to 100 characters.", field="filename")


def save_draft(service: WorkflowService, kind: str, name: str, content: str, actor: Actor, *,
               expected_version: int | None = None) -> Draft:
    """Store a draft, replacing the earlier one of that name. With `expected_version`, a save made over a
    copy someone has since replaced raises Conflict and stores nothing."""
    check_name(kind, name)
    _check_content(kind, name, content)
    with service.db.write() as session:
        row = session.scalar(select(DraftRow).where(DraftRow.kind == kind, DraftRow.name == name)
                             .with_for_update())
        if expected_version is not None and (row.version if row else 0) != expected_version:
            raise Conflict("Someone else saved this draft after you opened it. Reload it to see their "
                           "changes; yours were not saved.", field="version")
        if row is None:
            row = DraftRow(kind=kind, name=name, content=content, version=1, updated_by_id=actor.user_id)
            session.add(row)
        else:
            row.content, row.version = content, row.version + 1
            row.updated_at, row.updated_by_id = clock.now(), actor.user_id
        try:
            session.flush()
        except IntegrityError:  # two first saves of one name at once: the second loses, as with any race
            raise Conflict("Someone else saved a draft with this name just now. Reload it to see their "
                           "changes; yours were not saved.", field="version") from None
        audit.append(session, "draft_saved", actor_id=actor.user_id,
                     detail={"kind": kind, "name": name, "version": row.version})
        return _copy(session, row)


def draft(service: WorkflowService, kind: str, name: str) -> Draft | None:
    with service.db.read() as session:
        row = session.scalar(select(DraftRow).where(DraftRow.kind == kind, DraftRow.name == name))
        return _copy(session, row) if row else None


def drafts(service: WorkflowService, kind: str) -> list[Draft]:
    """Every draft of a kind, most recently saved first."""
    with service.db.read() as session:
        rows = session.scalars(select(DraftRow).where(DraftRow.kind == kind)
                               .order_by(DraftRow.updated_at.desc(), DraftRow.name))
        return [_copy(session, row) for row in rows]


def discard_draft(service: WorkflowService, kind: str, name: str, actor: Actor) -> None:
    """Remove a draft; raises NotFound if there is none of that name."""
    with service.db.write() as session:
        if not discard_in(session, kind, name, actor):
            raise NotFound("There is no draft with that name. Someone may have deployed or discarded it.")


def discard_in(session: Session, kind: str, name: str, actor: Actor) -> bool:
    """Remove a draft inside the caller's transaction (deploying it does this); False if there was none."""
    removed = session.execute(delete(DraftRow).where(DraftRow.kind == kind, DraftRow.name == name)).rowcount
    if removed:
        audit.append(session, "draft_discarded", actor_id=actor.user_id, detail={"kind": kind, "name": name})
    return bool(removed)


def _check_content(kind: str, name: str, content: str) -> None:
    size = len(content.encode("utf-8"))
    if size > MAX_DRAFT_BYTES:
        raise EngineError(f"The draft is {size / 1_048_576:.1f} MB; the limit is "
                          f"{MAX_DRAFT_BYTES // 1_048_576} MB.", field="content")
    if kind == DIAGRAM:
        spiff.parse_xml(content.encode("utf-8"), name)  # raises DiagramInvalid with the line
    else:
        try:
            json.loads(content)
        except json.JSONDecodeError as error:
            raise EngineError(f"The draft is not valid JSON: {error.msg} (line {error.lineno}).",
                              field="content") from None


def _copy(session: Session, row: DraftRow) -> Draft:
    who = session.get(User, row.updated_by_id) if row.updated_by_id else None
    return Draft(row.kind, row.name, row.content, row.version, row.updated_at, who.name if who else "")
