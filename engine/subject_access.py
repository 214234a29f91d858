"""Subject access, rectification and erasure: everything held about one person gathered for the Monitoring
officer to send, and the corrections and erasures the law allows, each audited.

A person's cases are those where they are the councillor or the reporter. Their content (what was submitted
on each task, notes, documents) comes with them; other people's cases appear only as the bare fact that the
person acted on them. What retention removed stays removed: an anonymised case never reaches an export, and
wellbeing answers deleted after support ended are left out."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from engine import audit, clock
from engine.db import Database
from engine.errors import Conflict, EngineError, NotFound
from engine.models import AuditEvent, Case, PoliticalGroup, Task, User
from engine.records import CaseNote, Document, ReportDraft
from engine.retention import ANONYMISED, WELLBEING_DELETED, WELLBEING_PROCESS, wellbeing_fields, withheld

ERASED_DOMAIN = "erased.invalid"


def find_people(db: Database, text: str) -> list[User]:
    """Accounts whose name or email contains the text, for the Monitoring officer to choose from."""
    text = text.strip().lower()
    if not text:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with db.read() as session:
        return list(session.scalars(select(User).where(or_(func.lower(User.email).like(pattern, escape="\\"),
                                                           func.lower(User.name).like(pattern, escape="\\")))
                                    .order_by(User.name).limit(50)))


def collect(db: Database, user_id: int) -> dict[str, Any]:
    """Everything held about the person, as JSON-ready data."""
    with db.read() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("There is no such person.")
        group = session.get(PoliticalGroup, user.political_group_id) if user.political_group_id else None
        cases = list(session.scalars(select(Case).where(or_(Case.councillor_id == user_id,
                                                            Case.reported_by_id == user_id)).order_by(Case.id)))
        done = withheld(session, [c.id for c in cases])
        cases = [c for c in cases if ANONYMISED not in done.get(c.id, set())]
        own = {c.id for c in cases}
        names = dict(session.execute(select(User.id, User.name)).all())
        return {
            "generated_at": clock.now().isoformat(),
            "account": {"id": user.id, "name": user.name, "email": user.email, "active": user.active,
                        "roles": sorted(user.role_slugs), "political_group": group.name if group else None,
                        "created_at": user.created_at.isoformat()},
            "cases": [_case(session, c, user_id, done.get(c.id, set()), names) for c in cases],
            "report_drafts": [{"updated_at": d.updated_at.isoformat(), "answers": d.answers}
                              for d in session.scalars(select(ReportDraft).where(ReportDraft.user_id == user_id))],
            "documents_uploaded_elsewhere": [
                _document(d) for d in session.scalars(select(Document).where(
                    Document.uploaded_by_id == user_id, Document.case_id.is_(None)))],
            "activity": [_event(e, names, with_data=False) for e in session.scalars(
                select(AuditEvent).where(AuditEvent.actor_id == user_id,
                                         or_(AuditEvent.case_id.is_(None), AuditEvent.case_id.not_in(list(own) or [0])))
                .order_by(AuditEvent.id)) if not _about_someone_else(e, user_id)],
            "account_history": [_event(e, names, with_data=True) for e in _about_account(session, user_id)],
        }


def _case(session: Session, case: Case, user_id: int, done: set[str], names: dict[int, str]) -> dict[str, Any]:
    hidden = wellbeing_fields(session, case.id) if WELLBEING_DELETED in done else set()
    wellbeing_tasks = set(session.scalars(select(Task.id).where(Task.case_id == case.id,
                                                                Task.process_id == WELLBEING_PROCESS)))
    events = []
    for event in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)):
        item = _event(event, names, with_data=True)
        if WELLBEING_DELETED in done and (event.task_id in wellbeing_tasks or hidden):
            data = item.get("data")
            if isinstance(data, dict):
                item["data"] = {} if event.task_id in wellbeing_tasks else \
                    {k: v for k, v in data.items() if k not in hidden}
        events.append(item)
    return {
        "reference": case.reference, "status": case.status, "created_at": case.created_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "you_are": [w for w, i in (("councillor", case.councillor_id), ("reporter", case.reported_by_id))
                    if i == user_id],
        "wellbeing_notes_deleted": WELLBEING_DELETED in done,
        "history": events,
        "notes": [{"at": n.created_at.isoformat(), "by": names.get(n.author_id or 0), "text": n.body}
                  for n in session.scalars(select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id))],
        "documents": [_document(d) for d in session.scalars(select(Document).where(Document.case_id == case.id)
                                                            .order_by(Document.id))],
    }


def _event(event: AuditEvent, names: dict[int, str], *, with_data: bool) -> dict[str, Any]:
    detail = event.detail or {}
    item: dict[str, Any] = {"at": event.at.isoformat(), "action": event.action,
                            "by": names.get(event.actor_id) if event.actor_id else None,
                            "task": detail.get("title") or detail.get("task")}
    if with_data:
        item["data"] = event.data or {k: v for k, v in detail.items()
                                      if k not in ("title", "task", "facts", audit.PERSONAL_DIGEST)}
    return {k: v for k, v in item.items() if v is not None}


def _about_someone_else(event: AuditEvent, user_id: int) -> bool:
    """An admin's change to another account names that person: not part of this person's data."""
    other = (event.detail or {}).get("user_id")
    return other is not None and other != user_id


def _about_account(session: Session, user_id: int) -> list[AuditEvent]:
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("user.%")).order_by(AuditEvent.id))
    return [e for e in events if (e.detail or {}).get("user_id") == user_id]


def _document(document: Document) -> dict[str, Any]:
    return {"id": document.id, "filename": document.filename, "content_type": document.content_type,
            "size": document.size, "sha256": document.sha256, "added_at": document.created_at.isoformat(),
            "storage_key": document.storage_key}


def archive(data: dict[str, Any], summary_html: str,
            read_document: Callable[[str], bytes | None] | None = None) -> bytes:
    """The export as a ZIP: data.json, a readable summary.html, and each document's file if it can be read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False, default=str))
        zipped.writestr("summary.html", summary_html)
        documents = [d for c in data["cases"] for d in c["documents"]] + data["documents_uploaded_elsewhere"]
        for document in documents:
            content = read_document(document["storage_key"]) if read_document else None
            if content is not None:
                zipped.writestr(f"documents/{document['id']}-{_safe_name(document['filename'])}", content)
    return buffer.getvalue()


def _safe_name(filename: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in filename)[:100] or "document"


def record_export(db: Database, user_id: int, actor_id: int | None) -> None:
    with db.write() as session:
        audit.append(session, "subject_access.exported", actor_id=actor_id, detail={"user_id": user_id})


def rectify(db: Database, user_id: int, *, name: str, email: str, actor_id: int | None) -> list[str]:
    """Correct a person's name or email; returns the fields that changed (the audit says which, not what)."""
    name, email = name.strip(), email.strip().lower()
    if not name:
        raise EngineError("Enter the person's name.", field="name")
    if len(name) > 200:
        raise EngineError("The name must be 200 characters or fewer.", field="name")
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise EngineError("Enter an email address in the correct format, like name@example.org.", field="email")
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("There is no such person.")
        taken = session.scalar(select(User.id).where(func.lower(User.email) == email, User.id != user_id))
        if taken is not None:
            raise EngineError(f"There is already an account for {email}.", field="email")
        changed = [f for f, old, new in (("name", user.name, name), ("email", user.email, email)) if old != new]
        user.name, user.email = name, email
        if changed:
            audit.append(session, "user.rectified", actor_id=actor_id, detail={"user_id": user_id, "fields": changed})
        return changed


def open_work(session: Session, user_id: int) -> list[str]:
    """Why the account cannot be erased yet: open cases about or by them, tasks they hold."""
    reasons = list(session.scalars(select(Case.reference).where(
        or_(Case.councillor_id == user_id, Case.reported_by_id == user_id), Case.status == "open")))
    held = session.scalar(select(func.count()).select_from(Task).where(Task.assignee_id == user_id,
                                                                       Task.status == "open")) or 0
    return reasons + ([f"{held} open task(s)"] if held else [])


def erase(db: Database, user_id: int, actor_id: int | None) -> None:
    """Erase an account with no open work: its name, email, password, roles and drafts go; the row stays as
    a placeholder so closed cases and the audit log still add up. Closed cases follow the retention period."""
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("There is no such person.")
        if user_id == actor_id:
            raise Conflict("You cannot erase your own account.")
        blocking = open_work(session, user_id)
        if blocking:
            raise Conflict("This account still has open work: " + ", ".join(blocking) + ". Close or reassign it "
                           "first.")
        user.name, user.email = "Erased account", f"erased-{user.id}@{ERASED_DOMAIN}"
        user.password_hash, user.active, user.political_group_id, user.roles = None, False, None, []
        session.execute(delete(ReportDraft).where(ReportDraft.user_id == user_id))
        for group in session.scalars(select(PoliticalGroup).where(PoliticalGroup.support_contact_id == user_id)):
            group.support_contact_id = None
        audit.append(session, "user.erased", actor_id=actor_id, detail={"user_id": user_id})
