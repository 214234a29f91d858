"""What a case holds besides its process: officers' private notes and evidence documents, and the
read-only questions the web pages ask about a case (who may see it, which roles worked on it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from engine import audit, clock
from engine.db import Database
from engine.errors import EngineError, NotFound
from engine.models import Base, Case, Instance, Task, User

NOTE_MAX_LENGTH = 5000


class CaseNote(Base):
    """A note an officer adds to a case. Private to officers with access: never shown to the councillor."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Document(Base):
    """An evidence file. The bytes live outside the web root under `storage_key`; the row says what it is."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


@dataclass(frozen=True)
class CaseFacts:
    """What access decisions about one case need, read in one go."""

    case: Case
    task_roles: frozenset[str]
    """Every role that has or had a task on the case."""
    assignees: frozenset[int]
    """Everyone who holds, or held, a task on the case."""
    processes: dict[int, str]
    """Instance id → process id, for every instance of the case."""


def case_facts(db: Database, reference: str) -> CaseFacts:
    with db.read() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        if case is None:
            raise NotFound("There is no such case.")
        rows = session.execute(select(Task.role, Task.assignee_id, Task.completed_by_id)
                               .where(Task.case_id == case.id)).all()
        processes = dict(session.execute(select(Instance.id, Instance.process_id)
                                         .where(Instance.case_id == case.id)).all())
    return CaseFacts(case=case, task_roles=frozenset(r.role for r in rows if r.role),
                     assignees=frozenset(i for r in rows for i in (r.assignee_id, r.completed_by_id) if i),
                     processes=processes)


def cases_of_councillor(db: Database, user_id: int) -> list[Case]:
    """The cases a councillor may see: about them, or reported by them."""
    with db.read() as session:
        return list(session.scalars(select(Case).where((Case.councillor_id == user_id)
                                                       | (Case.reported_by_id == user_id))
                                    .order_by(Case.created_at.desc())))


def case_references(db: Database, case_ids: set[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    with db.read() as session:
        return dict(session.execute(select(Case.id, Case.reference).where(Case.id.in_(case_ids))).all())


def open_tasks_of_case(db: Database, case_id: int) -> list[Task]:
    """The case's open tasks, for "what happens next" (the case page has already checked access)."""
    with db.read() as session:
        return list(session.scalars(select(Task).where(Task.case_id == case_id, Task.status == "open")
                                    .order_by(Task.due_at.is_(None), Task.due_at)))


def names(db: Database, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    with db.read() as session:
        return dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())


def add_note(db: Database, case_id: int, author_id: int, body: str) -> CaseNote:
    body = body.strip()
    if not body:
        raise EngineError("Enter the note.", field="body")
    if len(body) > NOTE_MAX_LENGTH:
        raise EngineError(f"The note must be {NOTE_MAX_LENGTH} characters or fewer.", field="body")
    with db.write() as session:
        note = CaseNote(case_id=case_id, author_id=author_id, body=body)
        session.add(note)
        session.flush()
        # The audit event records that a note exists, not what it says: the timeline stays safe to show.
        audit.append(session, "case.note_added", actor_id=author_id, case_id=case_id, detail={"note_id": note.id})
    return note


def notes(db: Database, case_id: int) -> list[CaseNote]:
    with db.read() as session:
        return list(session.scalars(select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id)))


def add_document(db: Database, *, case_id: int | None, uploaded_by_id: int | None, filename: str,
                 content_type: str, size: int, sha256: str, storage_key: str) -> Document:
    with db.write() as session:
        document = Document(case_id=case_id, uploaded_by_id=uploaded_by_id, filename=filename[:255],
                            content_type=content_type, size=size, sha256=sha256, storage_key=storage_key)
        session.add(document)
        session.flush()
        if case_id is not None:
            audit.append(session, "document.added", actor_id=uploaded_by_id, case_id=case_id,
                         detail={"document_id": document.id, "filename": document.filename})
    return document


def attach_documents(db: Database, document_ids: list[int], case_id: int, uploaded_by_id: int | None) -> None:
    """Link evidence uploaded before the case existed (during a report) to the case it now belongs to."""
    with db.write() as session:
        for document in session.scalars(select(Document).where(Document.id.in_(document_ids),
                                                               Document.case_id.is_(None),
                                                               Document.uploaded_by_id == uploaded_by_id)):
            document.case_id = case_id
            audit.append(session, "document.added", actor_id=uploaded_by_id, case_id=case_id,
                         detail={"document_id": document.id, "filename": document.filename})


def documents(db: Database, case_id: int) -> list[Document]:
    with db.read() as session:
        return list(session.scalars(select(Document).where(Document.case_id == case_id).order_by(Document.id)))


def document(db: Database, document_id: int) -> Document:
    with db.read() as session:
        found = session.get(Document, document_id)
        if found is None:
            raise NotFound("There is no such document.")
        return found


class ReportDraft(Base):
    """A report being written over several question pages, kept server-side: answers can be long and
    sensitive, so they never travel in a cookie."""

    __tablename__ = "report_drafts"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


def draft(db: Database, token: str, user_id: int) -> dict[str, Any]:
    with db.read() as session:
        row = session.get(ReportDraft, token)
        return dict(row.answers) if row is not None and row.user_id == user_id else {}


def save_draft(db: Database, token: str, user_id: int, answers: dict[str, Any]) -> None:
    with db.write() as session:
        row = session.get(ReportDraft, token)
        if row is None:
            session.add(ReportDraft(token=token, user_id=user_id, answers=answers))
        elif row.user_id == user_id:
            row.answers, row.updated_at = answers, clock.now()


def discard_draft(db: Database, token: str) -> None:
    with db.write() as session:
        row = session.get(ReportDraft, token)
        if row is not None:
            session.delete(row)
