"""The email outbox: messages are written in the transaction that causes them and sent later by the
scheduler, so a rolled-back change never emails anyone and a committed one always does.

Emails say only that there is something to do, with a reference and a link: never case details.
Sending claims a message (pending → sending, with a lease) in its own transaction before the SMTP
conversation, so two schedulers never send the same message. A crash after the claim leaves the message
to be sent again once the lease runs out, with the same Message-ID so a receiving server can drop a repeat.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Protocol

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.db import Database
from engine.errors import Forbidden
from engine.mail import Transport, sender_from_env
from engine.models import Case, OutboxMessage, Task, User, UserRole
from engine.working_time import LONDON

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
SEND_BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
MAX_SEND_ATTEMPTS = len(SEND_BACKOFF) + 1
DEFAULT_PUBLIC_URL = "http://localhost:5000"
TASK_PATH = "/tasks/{task_id}"
CASE_PATH = "/cases/{reference}"
FOOTER = ("\n\nFor the safety of everyone involved, this email contains no case details. "
          "Sign in to see them.\n\nCouncillor Support")


def public_url() -> str:
    """Where people reach the product (PUBLIC_URL), for links in emails."""
    return (os.environ.get("PUBLIC_URL", "").strip() or DEFAULT_PUBLIC_URL).rstrip("/")


def task_link(task_id: str) -> str:
    return public_url() + TASK_PATH.format(task_id=task_id)


def london_time(moment: datetime) -> str:
    """A moment as people in the council read it in an email: "9 March 2026 at 10:00"."""
    return moment.astimezone(LONDON).strftime("%-d %B %Y at %H:%M")


def case_link(reference: str | None) -> str:
    """The case's page, or the start page when there is no case."""
    return public_url() + (CASE_PATH.format(reference=reference) if reference else "/")


# --- writing messages --------------------------------------------------------------------------

class Addressee(Protocol):
    """Whom a message goes to: a person, or a row of their id and address."""

    id: int
    email: str


_MESSAGES = OutboxMessage.__table__
# Only the id and address are needed to write a message: read them as columns, not as people with roles.
_USERS, _USER_ROLES = User.__table__, UserRole.__table__
_ACTIVE_PERSON = select(_USERS.c.id, _USERS.c.email).where(_USERS.c.id == bindparam("user_id"), _USERS.c.active)
_ACTIVE_HOLDERS = (select(_USERS.c.id, _USERS.c.email).join(_USER_ROLES)
                   .where(_USER_ROLES.c.role == bindparam("role"), _USERS.c.active).order_by(_USERS.c.name))


def enqueue(session: Session, *, to: str, subject: str, body: str, kind: str, case_id: int | None = None,
            task_id: str | None = None) -> None:
    """Add a message to the outbox in the caller's transaction; it goes when that transaction commits."""
    _write(session, [to], subject=subject, body=body, kind=kind, case_id=case_id, task_id=task_id)


def enqueue_to(session: Session, users: Iterable[User], *, subject: str, body: str, kind: str,
               case_id: int | None = None, task_id: str | None = None) -> int:
    """One message to each active person among `users` (each once); returns how many were written."""
    chosen = {user.id: user for user in users if user is not None and user.active}
    return _write(session, [user.email for user in chosen.values()], subject=subject, body=body, kind=kind,
                  case_id=case_id, task_id=task_id)


def enqueue_to_role(session: Session, role: str, *, subject: str, body: str, kind: str,
                    case_id: int | None = None, task_id: str | None = None) -> int:
    """One message to every active holder of `role`; returns how many were written."""
    return _write(session, [holder.email for holder in _holders(session, role)], subject=subject, body=body,
                  kind=kind, case_id=case_id, task_id=task_id)


def _write(session: Session, addresses: list[str], *, subject: str, body: str, kind: str, case_id: int | None,
           task_id: str | None) -> int:
    """The same message to each of `addresses`, in one statement."""
    if not addresses:
        return 0
    domain = _sender_domain(sender_from_env())
    now = clock.now()
    session.execute(_MESSAGES.insert(), [
        {"message_id": f"<{uuid.uuid4().hex}@{domain}>", "kind": kind, "recipient": address, "subject": subject,
         "body": body + FOOTER, "case_id": case_id, "task_id": task_id, "status": "pending", "attempts": 0,
         "next_attempt_at": now, "created_at": now}
        for address in addresses])
    return len(addresses)


def _sender_domain(sender: str) -> str:
    """The domain of the sender address, for Message-IDs."""
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] or "localhost"


def recipients_for(session: Session, task: Task, personal_roles: frozenset[str] = frozenset()) -> list[Addressee]:
    """The assignee, or everyone holding the task's role while nobody has claimed it. A personal role's task
    (the councillor's own) is only ever its assignee's: nobody else hears of it."""
    if task.assignee_id is not None:
        return list(session.execute(_ACTIVE_PERSON, {"user_id": task.assignee_id}))
    if not task.role or task.role in personal_roles:
        return []
    return _holders(session, task.role)


def _holders(session: Session, role: str) -> list[Addressee]:
    return list(session.execute(_ACTIVE_HOLDERS, {"role": role}))


_TEXTS: Mapping[str, tuple[str, str]] = {
    "task.opened": ("You have a task{ref}",
                    "There is a new task for you{for_ref}.\n\nOpen it here: {link}"),
    "task.reminder": ("Reminder: a task is due soon{ref}",
                      "A task for you{for_ref} is due on {due}.\n\nOpen it here: {link}"),
    "task.overdue": ("A task is overdue{ref}",
                     "A task{for_ref} was due on {due} and is not done yet.\n\nOpen it here: {link}"),
}


def notify_task(session: Session, task: Task, kind: str, *, reference: str | None = None,
                extra: Iterable[User] = (), personal_roles: frozenset[str] = frozenset()) -> int:
    """Email the people a task concerns. The text names only the case reference, the due time and a link."""
    subject, body = _TEXTS[kind]
    if reference is None and task.case_id is not None:
        reference = session.scalar(select(Case.reference).where(Case.id == task.case_id))
    due = london_time(task.due_at) if task.due_at else ""
    words = {"ref": f" ({reference})" if reference else "", "for_ref": f" on case {reference}" if reference else "",
             "link": task_link(task.id), "due": due}
    users = {u.id: u for u in [*recipients_for(session, task, personal_roles), *extra]}
    return _write(session, [user.email for user in users.values()], subject=subject.format(**words),
                  body=body.format(**words), kind=kind, case_id=task.case_id, task_id=task.id)


OpenedTaskMail = Callable[[Session, Task, str | None], None]
"""Writes the email(s) for one newly opened task, given the case reference; see `on_task_opened`."""

_OPENED_BY_FORM: dict[str, OpenedTaskMail] = {}


def on_task_opened(form: str, write: OpenedTaskMail) -> None:
    """Have `write` compose the email for each new task whose form is `form`, instead of the usual "you have
    a task": a process may need to say how to answer (e.g. a signed link). Its processes package registers it."""
    _OPENED_BY_FORM[form] = write


def tasks_opened(session: Session, tasks: Iterable[Task], reference: str | None,
                 personal_roles: frozenset[str] = frozenset()) -> None:
    """One email per new task: the one its form's writer composes, or "you have a task" to its assignee or to
    each holder of its role."""
    for task in tasks:
        write = _OPENED_BY_FORM.get(task.form or "")
        if write is not None:
            write(session, task, reference)
        else:
            notify_task(session, task, "task.opened", reference=reference, personal_roles=personal_roles)


# --- sending -----------------------------------------------------------------------------------

def claim(db: Database, limit: int = 50) -> list[OutboxMessage]:
    """Take up to `limit` due messages for sending, in one transaction of their own: pending → sending.
    A claim whose lease ran out (its sender died) is taken again."""
    now = clock.now()
    with db.write() as session:
        rows = list(session.scalars(
            select(OutboxMessage)
            .where(((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
                   | ((OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - LEASE)))
            .order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)))
        for row in rows:
            row.status, row.claimed_at, row.attempts = "sending", now, row.attempts + 1
    return rows


def dispatch(db: Database, transport: Transport, limit: int = 50) -> int:
    """Send what is due; returns how many were handed to the mail server."""
    sent = 0
    for row in claim(db, limit):
        try:
            transport.send(as_email(row))
        except Exception as error:  # any transport failure is retried later; the message stays safe
            log.warning("Could not send email %s (attempt %d): %s", row.message_id, row.attempts, error)
            _finish(db, row, error=f"{type(error).__name__}: {error}")
        else:
            _finish(db, row)
            sent += 1
    return sent


def _finish(db: Database, row: OutboxMessage, error: str | None = None) -> None:
    now = clock.now()
    if error is None:
        values: dict[str, Any] = {"status": "sent", "sent_at": now, "last_error": None}
    elif row.attempts >= MAX_SEND_ATTEMPTS:
        values = {"status": "failed", "last_error": error}
    else:
        values = {"status": "pending", "last_error": error,
                  "next_attempt_at": now + SEND_BACKOFF[row.attempts - 1]}
    with db.write() as session:
        # Only while our claim stands: if the lease ran out and someone else took it, theirs wins.
        session.execute(update(OutboxMessage)
                        .where(OutboxMessage.id == row.id, OutboxMessage.status == "sending",
                               OutboxMessage.claimed_at == row.claimed_at)
                        .values(**values).execution_options(synchronize_session=False))


def as_email(row: OutboxMessage) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender_from_env()
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body)
    return message


# --- signed links ------------------------------------------------------------------------------

_EXPIRES = "_expires"


class LinkInvalid(Forbidden):
    """The link was changed, was made for something else, or has expired."""


class LinkExpired(LinkInvalid):
    """The link was genuine but its time is up."""

    status = 410


def _secret(secret: str | None) -> str:
    key = secret or os.environ.get("SECRET_KEY", "")
    if not key:
        raise RuntimeError("SECRET_KEY must be set to sign links in emails.")
    return key


def can_sign() -> bool:
    """Whether links can be signed here (SECRET_KEY is set), so a sender can fall back to a plain link."""
    return bool(os.environ.get("SECRET_KEY", ""))


def _serializer(purpose: str, secret: str | None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(secret), salt=f"councillor-support.{purpose}")


def sign(payload: Mapping[str, Any], *, purpose: str, expires_at: datetime | None = None,
         secret: str | None = None) -> str:
    """A URL-safe token carrying `payload` signed for one purpose; with `expires_at`, `verify_link` refuses it
    from then on (so a link can live exactly as long as what it leads to)."""
    body = dict(payload)
    if expires_at is not None:
        body[_EXPIRES] = expires_at.timestamp()
    return _serializer(purpose, secret).dumps(body)


def signed_link(path: str, payload: Mapping[str, Any], *, purpose: str, expires_at: datetime | None = None,
                secret: str | None = None) -> str:
    """A link to `path` carrying `payload` signed for one purpose (e.g. "check-in"); check it with
    `verify_link` and the same purpose. Its life is `expires_at`, or the `max_age` its reader chooses."""
    token = sign(payload, purpose=purpose, expires_at=expires_at, secret=secret)
    return f"{public_url()}{path}?token={token}"


def verify_link(token: str, *, purpose: str, max_age: timedelta | None = None,
                secret: str | None = None) -> dict[str, Any]:
    """The payload of a signed link, or LinkInvalid (LinkExpired when only its time is up) with a message the
    person can act on."""
    try:
        payload = _serializer(purpose, secret).loads(
            token, max_age=None if max_age is None else int(max_age.total_seconds()))
    except SignatureExpired:
        raise LinkExpired("This link has expired. Sign in to find the form, or ask for a new link.") from None
    except BadSignature:
        raise LinkInvalid("This link is not valid. Check you copied all of it, or sign in instead.") from None
    if not isinstance(payload, dict):
        raise LinkInvalid("This link is not valid. Check you copied all of it, or sign in instead.")
    expires = payload.pop(_EXPIRES, None)
    if expires is not None and clock.now().timestamp() >= float(expires):
        raise LinkExpired("This link has expired. Sign in to find the form, or ask for a new link.")
    return payload
